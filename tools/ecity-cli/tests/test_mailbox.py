"""The local mailbox of `make run`: real SMTP exchanges into it (smtplib, and notifications' own
e-mail channel), then what `ecity mail tail` prints of them."""

from __future__ import annotations

import asyncio
import smtplib
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from typer.testing import CliRunner

from ecity_cli.cli import app
from ecity_cli.infra import free_port
from ecity_cli.mailbox import MAIL_PORT, LocalMailServer, follow, letters, mail_folder

runner = CliRunner()


@pytest.fixture
def mailbox(tmp_path, monkeypatch):
    """The mailbox as `ecity up` runs it, its state folder this test's (as ECITY_STATE_DIR makes it)."""
    monkeypatch.setenv("ECITY_STATE_DIR", str(tmp_path))
    server = LocalMailServer(mail_folder(tmp_path), free_port()).start()
    yield server
    server.stop()


def _send(server: LocalMailServer, subject: str, text: str, *, to: str = "olena@example.ua") -> None:
    mail = EmailMessage()
    mail["From"] = "Сумський e-City <no-reply@ecity.sumy.ua>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Mon, 30 Nov 2026 10:00:00 +0000"
    mail.set_content(text)  # UTF-8, so base64 or quoted-printable on the wire: tail must decode it
    mail.add_alternative(f"<p>{text}</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as smtp:
        smtp.send_message(mail)


def _tail(*args: str) -> str:
    result = runner.invoke(app, ["mail", "tail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_message_sent_over_smtp_is_kept_and_tail_prints_it_decoded(mailbox):
    _send(mailbox, "Ваше звернення виконано", "Звернення №42: трубу полагоджено.\nДякуємо!")
    [kept] = letters(mailbox.folder)
    assert kept.suffix == ".eml" and b"Return-Path: <no-reply@ecity.sumy.ua>" in kept.read_bytes()
    out = _tail()
    assert "From:    Сумський e-City <no-reply@ecity.sumy.ua>" in out
    assert "To:      olena@example.ua" in out
    assert "Subject: Ваше звернення виконано" in out
    assert "Date:    Mon, 30 Nov 2026 10:00:00 +0000" in out
    assert "Звернення №42: трубу полагоджено.\nДякуємо!" in out  # the plain part, not the HTML one
    assert "<p>" not in out


def test_tail_shows_the_latest_n_oldest_first(mailbox):
    for n in range(1, 5):
        _send(mailbox, f"Лист {n}", f"текст {n}")
    out = _tail("-n", "2")
    assert "Лист 1" not in out and "Лист 2" not in out
    assert out.index("Subject: Лист 3") < out.index("Subject: Лист 4")


def test_an_empty_mailbox_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("ECITY_STATE_DIR", str(tmp_path))
    assert f"no mail in {tmp_path / 'mail'}" in _tail().replace("\n", "")


async def test_what_notifications_sends_by_default_lands_in_the_mailbox(mailbox):
    """notifications' defaults point at the mailbox `make run` starts; its own e-mail channel
    (multipart, Ukrainian, its Message-ID) comes out of `ecity mail tail` readable."""
    from notifications.adapters.email import EmailChannel
    from notifications.domain.channels import Outgoing
    from notifications.settings import Settings

    defaults = Settings()
    assert (defaults.smtp_host, defaults.smtp_port, defaults.smtp_starttls) == ("127.0.0.1", MAIL_PORT, False)
    channel = EmailChannel("127.0.0.1", mailbox.port, defaults.mail_from, starttls=False)
    await channel.send(Outgoing(address="petro@example.ua", message_id="<d-1@notifications.ecity.sumy.ua>",
                                subject="Статус звернення змінено", text="Нова відповідь від КП «Міськводоканал».",
                                html="<p>Нова відповідь</p>"))
    out = await asyncio.to_thread(_tail, "-n", "1")
    assert "To:      petro@example.ua" in out and "Subject: Статус звернення змінено" in out
    assert "Нова відповідь від КП «Міськводоканал»." in out


def test_follow_yields_what_arrives_after_it_started(mailbox):
    _send(mailbox, "Старий", "вже був")
    arrivals = follow(mailbox.folder, seen={p.name for p in letters(mailbox.folder)}, poll_s=0.05)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(next, arrivals)
        _send(mailbox, "Новий", "щойно прийшов")
        letter = waiting.result(timeout=10)
    assert (letter.subject, letter.text) == ("Новий", "щойно прийшов")


def test_a_half_written_message_is_never_read(mailbox):
    """Messages are renamed into place once whole: a reader sees `.eml` files only then."""
    mailbox.folder.mkdir(parents=True, exist_ok=True)
    (mailbox.folder / ".20261130T100000000000-x.eml.partial").write_bytes(b"Subject: half")
    assert letters(mailbox.folder) == []


def test_a_message_without_a_date_shows_when_it_arrived(mailbox):
    with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=10) as smtp:
        smtp.sendmail("a@example.ua", ["b@example.ua"], b"Subject: no date\r\n\r\nbody\r\n")
    assert "Date:    (no Date header; received 20" in _tail("-n", "1")
