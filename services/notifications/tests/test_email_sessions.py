"""The e-mail channel keeps its SMTP session for the next message, against a real SMTP server
(aiosmtpd): one connection for a run of messages, a new one when the server has closed the kept
one (the message is not lost) or when it sat idle too long."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from ecity_cli.infra import free_port
from notifications.adapters import email as email_adapter
from notifications.adapters.email import EmailChannel
from notifications.domain.channels import Outgoing


def letter(n: int) -> Outgoing:
    return Outgoing(f"citizen{n}@example.org", f"<m-{n}@notifications.ecity.sumy.ua>", f"Звернення {n}",
                    "Статус змінено", "<p>Статус змінено</p>")


@pytest.fixture
def channel(mailbox):
    # One SMTP thread: every message goes through the same kept session.
    made = EmailChannel("127.0.0.1", mailbox.port, "Сумський e-City <no-reply@ecity.sumy.ua>", starttls=False, sessions=1)
    yield made
    made.close()


async def test_a_run_of_messages_goes_through_one_connection(channel, mailbox):
    for n in range(5):
        await channel.send(letter(n))
    assert [m["Message-ID"] for m in mailbox.received] == [f"<m-{n}@notifications.ecity.sumy.ua>" for n in range(5)]
    assert len(set(mailbox.peers)) == 1


async def test_a_session_the_server_closed_is_opened_again_and_the_message_goes(mailbox):
    port = free_port()
    first = Controller(mailbox, hostname="127.0.0.1", port=port)
    first.start()
    channel = EmailChannel("127.0.0.1", port, "e-City <no-reply@ecity.sumy.ua>", starttls=False, sessions=1)
    try:
        await channel.send(letter(1))
        first.stop()  # the server goes away and comes back: the kept session is dead
        again = Controller(mailbox, hostname="127.0.0.1", port=port)
        again.start()
        try:
            await channel.send(letter(2))
        finally:
            again.stop()
    finally:
        channel.close()
    assert [m["Message-ID"] for m in mailbox.received] == ["<m-1@notifications.ecity.sumy.ua>",
                                                           "<m-2@notifications.ecity.sumy.ua>"]
    assert mailbox.peers[0] != mailbox.peers[1]


async def test_an_idle_session_is_not_trusted(channel, mailbox, monkeypatch):
    await channel.send(letter(1))
    monkeypatch.setattr(email_adapter, "SESSION_IDLE_S", 0.0)  # everything is idle too long
    await channel.send(letter(2))
    assert len(mailbox.received) == 2 and mailbox.peers[0] != mailbox.peers[1]
