"""The e-mail channel against a real SMTP server (aiosmtpd): it keeps its SMTP session for the next
message (one connection for a run of messages, a new one when the server has closed the kept one,
the message not lost, or when it sat idle too long); it signs in to a relay that asks; and it tells
a refused address from a refused message from a refusal that is the relay's or ours."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from ecity_cli.infra import free_port
from notifications.adapters import email as email_adapter
from notifications.adapters.email import EmailChannel
from notifications.domain.channels import Outgoing, PermanentFailure, TemporaryFailure


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


class Relay:
    """Signs in only "ecity" with its password (SMTP AUTH PLAIN or LOGIN)."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"ecity", b"relay-password")
        return AuthResult(success=good, handled=False)  # handled=False: the server answers 535 itself


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_relay_that_asks_for_a_sign_in_gets_it_and_a_wrong_one_is_ours_to_fix(mailbox):
    port = free_port()
    # The test's relay has no certificate: deployed, STARTTLS comes first (settings refuse otherwise).
    relay = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=Relay(), auth_required=True,
                       auth_require_tls=False)
    relay.start()
    try:
        signed = EmailChannel("127.0.0.1", port, "e-City <no-reply@ecity.sumy.ua>", starttls=False, sessions=1,
                              sign_in=("ecity", "relay-password"))
        unsigned = EmailChannel("127.0.0.1", port, "e-City <no-reply@ecity.sumy.ua>", starttls=False, sessions=1)
        wrong = EmailChannel("127.0.0.1", port, "e-City <no-reply@ecity.sumy.ua>", starttls=False, sessions=1,
                             sign_in=("ecity", "not-it"))
        try:
            await signed.send(letter(1))
            # Without a sign-in, or with a wrong one, the relay refuses before any recipient: no
            # citizen's address is at fault, so the delivery waits and nothing is disabled.
            for channel in (unsigned, wrong):
                with pytest.raises(TemporaryFailure) as refused:
                    await channel.send(letter(2))
                assert "SMTP 5" in str(refused.value)
        finally:
            for channel in (signed, unsigned, wrong):
                channel.close()
    finally:
        relay.stop()
    assert [m["Message-ID"] for m in mailbox.received] == ["<m-1@notifications.ecity.sumy.ua>"]


async def test_a_refused_message_is_not_a_refused_address(channel, mailbox):
    mailbox.refuse_data["citizen1@example.org"] = "554 5.7.1 message content rejected"
    with pytest.raises(PermanentFailure) as message_refused:
        await channel.send(letter(1))
    assert message_refused.value.address_gone is False
    mailbox.refuse["citizen2@example.org"] = "550 5.1.1 no such mailbox"
    with pytest.raises(PermanentFailure) as address_refused:
        await channel.send(letter(2))
    assert address_refused.value.address_gone is True
    await channel.send(letter(3))  # and the session goes on
    assert [m["To"] for m in mailbox.received] == ["citizen3@example.org"]


def test_a_relays_sign_in_is_both_a_name_and_a_password():
    from pydantic import SecretStr

    from notifications.settings import Settings

    def said(**sign_in) -> list[str]:
        return [p for p in Settings(mode="deployed", **sign_in).unsafe() if "SMTP_USERNAME" in p]

    assert said(smtp_username="ecity") and said(smtp_password=SecretStr("relay-password"))
    assert not said(smtp_username="ecity", smtp_password=SecretStr("relay-password")) and not said()
