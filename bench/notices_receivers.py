"""The citizens' side of bench/notices.py, in a process of its own so that the load
generator's event loop does not delay what it notes: an SMTP server (aiosmtpd, the same server the
service's tests receive with) and a Web Push service that proves every push
(`ecity_cli.push_receiver`: the VAPID JWT checked against the subscription's key, the body
decrypted with the device's own keys). Each notes CLOCK_MONOTONIC (shared by every process on the
machine) when a message was accepted: an e-mail by the request id in its subject, a push by the
tag in its decrypted payload.

A small control API (on --control-port) makes the devices and hands the notes over:
  POST /devices {"count", "application_server_key"} → the subscriptions, as a browser's toJSON()
  GET /notes → {"email": {request_id: t}, "push": {tag: [t, …]}, "push_count", "refused", …}
  POST /forget → the notes emptied (between the measures)

Run by bench/notices.py: `python bench/notices_receivers.py --smtp-port P --control-port C`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import functools
import re
import time

import uvicorn
import uvloop
from aiosmtpd.smtp import SMTP
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ecity_cli.push_receiver import push_receiver

SUBJECT_REQUEST = re.compile(r"Звернення (\S+):")


class Notes:
    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        self.email: dict[str, float] = {}
        self.email_unmatched = 0
        self.push: dict[str, list[float]] = {}
        self.push_count = 0
        self.push_first: float | None = None
        self.push_last: float | None = None


class Arrivals(list):
    """A device's `received` list that notes when each decrypted payload was taken."""

    def __init__(self, notes: Notes) -> None:
        super().__init__()
        self.notes = notes

    def append(self, payload: dict) -> None:
        at = time.monotonic()
        notes = self.notes
        notes.push.setdefault(str(payload.get("tag")), []).append(at)
        notes.push_count += 1
        notes.push_first = notes.push_first or at
        notes.push_last = at
        # The payload itself is not kept: 10,000 of them would only cost memory here.


class Mailbox:
    """aiosmtpd's handler: accepts every message and notes it by the request id in its subject."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        at = time.monotonic()
        subject = email.message_from_bytes(envelope.content, policy=email.policy.default)["Subject"] or ""
        found = SUBJECT_REQUEST.search(subject)
        if found:
            self.notes.email.setdefault(found.group(1), at)  # a second send keeps the first arrival
        else:
            self.notes.email_unmatched += 1
        return "250 OK"


async def serve(smtp_port: int, control_port: int) -> None:
    notes = Notes()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(functools.partial(SMTP, Mailbox(notes), hostname="bench-mail"), "127.0.0.1", smtp_port)
    async with push_receiver() as push:

        async def devices(request: Request) -> JSONResponse:
            asked = await request.json()
            made = []
            for _ in range(int(asked["count"])):
                device = push.device(asked.get("application_server_key"))
                device.received = Arrivals(notes)
                made.append(device.subscription())
            return JSONResponse(made)

        async def read(request: Request) -> JSONResponse:
            return JSONResponse({"email": notes.email, "email_unmatched": notes.email_unmatched, "push": notes.push,
                                 "push_count": notes.push_count, "push_first": notes.push_first,
                                 "push_last": notes.push_last, "refused": push.refused[-20:],
                                 "refused_count": len(push.refused), "push_origin": push.origin})

        async def forget(request: Request) -> JSONResponse:
            notes.forget()
            push.refused.clear()
            return JSONResponse({})

        app = Starlette(routes=[Route("/devices", devices, methods=["POST"]), Route("/notes", read),
                                Route("/forget", forget, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=control_port, log_level="warning",
                                               lifespan="off", access_log=False))
        server.capture_signals = contextlib.nullcontext
        try:
            await server.serve()
        finally:
            smtp.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(serve(args.smtp_port, args.control_port))


if __name__ == "__main__":
    main()
