"""E-mail over SMTP: the standard library's smtplib, in a worker thread so the event loop goes on.
Multipart (plain text first, then HTML), UTF-8, the Message-ID of the delivery.

Each thread keeps its SMTP session open for the next message (a connection, EHLO and STARTTLS
handshake per message cost more than the message), and opens a new one when it has been idle for
a while or the server closed it."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate

from notifications.domain.channels import Outgoing, PermanentFailure, TemporaryFailure

# Headers that hold one URL in angle brackets. The default policy folds a long header at 78
# columns, and a URL has no space to fold at, so it would write the URL as RFC 2047 encoded-words,
# which no mail client reads as a link: these go on one line (under SMTP's 998).
_ONE_LINE = {"list-unsubscribe"}


# And the subject: the default policy, folding a Ukrainian subject, puts the space between two words
# outside the encoded-words, where RFC 2047 has readers drop it ("для сповіщень" arrived as
# "длясповіщень"); the older email.header encoder keeps each space inside a word.
_ENCODED = {"subject"}

# A session idle longer than this is closed and a new one opened: servers drop idle clients (RFC
# 5321 lets them after 5 minutes; relays often sooner), and a fresh handshake is cheaper than a
# message lost to a half-closed connection and tried again later.
SESSION_IDLE_S = 30.0


class _MailPolicy(EmailPolicy):
    def fold(self, name, value):
        if name.lower() in _ONE_LINE:
            return f"{name}: {value}{self.linesep}"
        if name.lower() in _ENCODED and not str(value).isascii():
            return f"{name}: {Header(str(value), 'utf-8', header_name=name).encode(linesep=self.linesep)}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() in _ONE_LINE | _ENCODED:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _MailPolicy()

# (recipient, channel, address, now) -> the one-click unsubscribe URL (domain.links.Links.unsubscribe_url).
UnsubscribeLink = Callable[[str, str, str, datetime], str]


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool, timeout_s: float = 10.0,
                 unsubscribe_link: UnsubscribeLink | None = None, sessions: int = 16,
                 sign_in: tuple[str, str] | None = None) -> None:
        self.host, self.port, self.sender, self.starttls, self.timeout_s = host, port, sender, starttls, timeout_s
        self.unsubscribe_link = unsubscribe_link
        self.sign_in = sign_in  # (user, password) for a relay that asks (SMTP AUTH), after STARTTLS
        # Built once: loading the CA bundle for every message cost more than the SMTP exchange.
        self._tls = ssl.create_default_context() if starttls else None
        # SMTP sessions wait on the network: threads of their own, not the loop's small default
        # pool, where they queued behind Web Push's encryption.
        self._sessions = ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="smtp")
        self._kept = threading.local()  # this thread's open session and when it was last used
        self._open: set[smtplib.SMTP] = set()  # every thread's, to close at shutdown
        self._open_lock = threading.Lock()

    def compose(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage(policy=POLICY)
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message.message_id
        if self.unsubscribe_link and message.recipient:
            # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the URL, and
            # the token in it names this recipient, channel and address (entrypoints/http/contacts.py).
            url = self.unsubscribe_link(message.recipient, self.name, message.address, datetime.now(UTC))
            mail["List-Unsubscribe"] = f"<{url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    async def prepare(self, addresses: list[str]) -> None:
        """Nothing to read ahead: the address is the message's."""

    async def send(self, message: Outgoing) -> None:
        await asyncio.get_running_loop().run_in_executor(self._sessions, self._send, self.compose(message))

    def close(self) -> None:
        self._sessions.shutdown(wait=False, cancel_futures=True)
        with self._open_lock:
            kept, self._open = list(self._open), set()
        for smtp in kept:
            try:
                smtp.close()
            except OSError:
                pass

    def _session(self) -> tuple[smtplib.SMTP, bool]:
        """This thread's session, and whether it was kept from an earlier message."""
        smtp, used_at = getattr(self._kept, "smtp", None), getattr(self._kept, "used_at", 0.0)
        if smtp is not None and time.monotonic() - used_at < SESSION_IDLE_S:
            return smtp, True
        if smtp is not None:
            self._drop(quit_first=True)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            if self.starttls:
                smtp.starttls(context=self._tls)
            if self.sign_in:
                smtp.login(*self.sign_in)
        except BaseException:
            smtp.close()
            raise
        self._kept.smtp = smtp
        with self._open_lock:
            self._open.add(smtp)
        return smtp, False

    def _drop(self, *, quit_first: bool = False) -> None:
        smtp = getattr(self._kept, "smtp", None)
        self._kept.smtp = None
        if smtp is None:
            return
        with self._open_lock:
            self._open.discard(smtp)
        try:
            if quit_first:
                smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            smtp.close()

    def _send(self, mail: EmailMessage) -> None:
        for last_try in (False, True):
            kept = False
            try:
                smtp, kept = self._session()
                smtp.send_message(mail)
                self._kept.used_at = time.monotonic()
                return
            except smtplib.SMTPRecipientsRefused as exc:
                # One recipient per message: its code decides. The session is still good (smtplib
                # has reset it), so it is kept for the next message.
                self._kept.used_at = time.monotonic()
                code, text = next(iter(exc.recipients.values()))
                raise _by_code(code, text) from exc
            except smtplib.SMTPDataError as exc:
                # The message refused (its content, a policy), not the address: a 5xx fails this
                # delivery for good and leaves the citizen's address alone.
                self._drop()
                raise _by_code(exc.smtp_code, exc.smtp_error, address_gone=False) from exc
            except smtplib.SMTPResponseException as exc:
                # Refused before any recipient (the sign-in, our sender, the greeting), or a 421:
                # the relay's or our configuration, never the citizen's address. Tried again later,
                # and an operator sees the reason in last_error.
                self._drop()
                raise TemporaryFailure(_said(exc.smtp_code, exc.smtp_error)) from exc
            except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out: the server away
                self._drop()
                if kept and not last_try:
                    continue  # a kept session the server had closed: once more on a new one
                raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


def _said(code: int, text: bytes | str) -> str:
    return f"SMTP {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _by_code(code: int, text: bytes | str, *, address_gone: bool = True) -> Exception:
    detail = _said(code, text)
    return PermanentFailure(detail, address_gone=address_gone) if 500 <= code < 600 else TemporaryFailure(detail)
