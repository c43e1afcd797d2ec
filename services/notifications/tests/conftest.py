"""A real SMTP server for the notifications tests: aiosmtpd on a port of this machine."""

from __future__ import annotations

import asyncio
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from ecity_cli.infra import free_port


class Mailbox:
    """An SMTP handler that keeps every message it accepts, or refuses recipients it is told to."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}
        # Hold the first message's DATA this many seconds, then refuse it (451): a send that is in
        # flight when its sender is killed. `stalled` tells when it is being held.
        self.stall_first_s = 0.0
        self.stalled = False
        self.raw: list[bytes] = []  # as they crossed the wire, for what parsing would hide (folding)
        self.peers: list[tuple] = []  # each message's client address and port: one per connection
        self.refuse_data: dict[str, str] = {}  # recipient → the reply its message's DATA gets

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.refuse_data:
                return self.refuse_data[address]
        if self.stall_first_s and not self.stalled:
            self.stalled = True
            await asyncio.sleep(self.stall_first_s)
            return "451 4.3.0 held by the test"
        self.raw.append(envelope.content)
        self.peers.append(session.peer)
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()
