"""What an e-mail address must look like before the service writes to it.

Checked here rather than by a library: the rule is short, and what matters is that nothing that
could turn into a second header, a second recipient or a display name ever reaches the SMTP
envelope or the To: header (no spaces, quotes, angle brackets, commas, semicolons or control
characters). Whether it exists is what the confirmation link proves.
"""

from __future__ import annotations

import re

from notifications.domain.phrases import Phrase

# The disabled_reason of an address its owner unsubscribed (one click, RFC 8058); any other reason is
# what a mail server or push service answered when it refused the address for good.
UNSUBSCRIBED = "unsubscribed"

_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def email_problem(address: str) -> Phrase | None:
    """Why this is not an address the service writes to, or None."""
    if len(address) > 254:
        return Phrase("email-at-most")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return Phrase("email-shape")
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        return Phrase("email-local-part")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return Phrase("email-domain")
    return None


def normal_email(address: str) -> str:
    """The address as kept: the domain in lower case (the part before @ is the mailbox's own)."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
