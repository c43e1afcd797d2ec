"""E-mail over SMTP: the standard library's smtplib, in a worker thread so the event loop goes on.
Multipart (plain text first, then HTML), UTF-8, the Message-ID of the delivery."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from notifications.domain.channels import Outgoing, PermanentFailure, TemporaryFailure


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.sender, self.starttls, self.timeout_s = host, port, sender, starttls, timeout_s

    def compose(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message.message_id
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    async def send(self, message: Outgoing) -> None:
        await asyncio.to_thread(self._send, self.compose(message))

    def _send(self, mail: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient per message: its code decides.
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, reset, timed out: the server away
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


def _by_code(code: int, text: bytes | str) -> Exception:
    detail = f"SMTP {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return PermanentFailure(detail) if 500 <= code < 600 else TemporaryFailure(detail)
