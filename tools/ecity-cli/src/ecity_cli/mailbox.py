"""The local mailbox of `make run`: an SMTP server on this machine that keeps every message it is
given, as a `.eml` file under `.state/mail/`, and delivers nothing. notifications sends to it by
default (its `smtp_port`, 8025), so a developer reads what a citizen would have been told with
`ecity mail tail`, or opens a file in any mail program.

aiosmtpd (the workspace's development dependency, also what notifications' tests receive with)
runs in a thread of `ecity up`: a mail server here is a convenience of one machine, not a service.
"""

from __future__ import annotations

import email
import email.policy
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

# notifications' default `smtp_port`: where it sends unless told otherwise.
MAIL_PORT = 8025


def mail_folder(state: Path) -> Path:
    return state / "mail"


class _Keeper:
    """aiosmtpd's handler: each message to a file of its own, named so that names sort by arrival."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server, session, envelope) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        received = datetime.now(timezone.utc)
        name = f"{received:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        # The envelope, as a receiving server records it: who it came from and for whom it was,
        # which a Bcc or a relay can make differ from the headers.
        trace = (f"Return-Path: <{envelope.mail_from}>\r\n"
                 f"X-Ecity-Delivered-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        content = envelope.original_content or envelope.content
        # Written aside, then renamed: `ecity mail tail --follow` never reads half a message.
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(trace + content)
        partial.rename(self.folder / name)
        return "250 Message accepted for delivery"


class LocalMailServer:
    """The SMTP server of `ecity up`, on 127.0.0.1 only (nothing off this machine sends to it)."""

    def __init__(self, folder: Path, port: int = MAIL_PORT) -> None:
        from aiosmtpd.controller import Controller

        self.folder, self.port = folder, port
        # 8BITMIME and SMTPUTF8: notifications' messages are Ukrainian.
        self._controller = Controller(_Keeper(folder), hostname="127.0.0.1", port=port, decode_data=False,
                                      enable_SMTPUTF8=True)

    def start(self) -> LocalMailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class Letter:
    """One kept message, as `ecity mail tail` shows it."""

    path: Path
    sender: str
    recipients: str
    subject: str
    date: str
    text: str

    @classmethod
    def read(cls, path: Path) -> Letter:
        message: EmailMessage = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else "(no plain-text part)"
        # A message without a Date header (a hand-made test one) shows when the mailbox received it.
        received = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        date = str(message.get("Date", "")) or f"(no Date header; received {received:%Y-%m-%d %H:%M:%S} UTC)"
        return cls(path=path, sender=str(message.get("From", "")), recipients=str(message.get("To", "")),
                   subject=str(message.get("Subject", "")), date=date, text=text.strip())

    def render(self) -> str:
        return "\n".join([f"── {self.path.name}", f"From:    {self.sender}", f"To:      {self.recipients}",
                          f"Subject: {self.subject}", f"Date:    {self.date}", "", self.text, ""])


def letters(folder: Path) -> list[Path]:
    """The kept messages, oldest first."""
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def latest(folder: Path, count: int) -> list[Letter]:
    return [Letter.read(path) for path in letters(folder)[-count:]] if count > 0 else []


def follow(folder: Path, *, seen: set[str], poll_s: float = 0.5) -> Iterator[Letter]:
    """Each message that arrives after `seen`, as it arrives (until the caller stops iterating)."""
    while True:
        for path in letters(folder):
            if path.name not in seen:
                seen.add(path.name)
                yield Letter.read(path)
        time.sleep(poll_s)


def port_from_env(default: int = MAIL_PORT) -> int:
    """The mailbox listens where notifications sends: its `NOTIFICATIONS_SMTP_PORT` if set."""
    return int(os.environ.get("NOTIFICATIONS_SMTP_PORT", default))
