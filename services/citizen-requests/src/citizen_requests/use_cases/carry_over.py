"""Carrying who reports and who follows each request over to notifications (issue 17), once.

notifications learns of new followers from request.subscribed and of reporters from
request.submitted; the rows written before those events named them are told here, as
request.subscribed events with their original time, through this service's outbox (its relay
publishes them with its own rights on its own topic). Each event's id is derived from (role,
request, citizen), so running it again stages the same ids: the outbox skips the ones it still
holds, and notifications' inbox skips the ones it already handled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import carry_over
from citizen_requests.use_cases.filing import json_time
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubscribed
from ecity_common.messaging.outbox import Outbox

# Fixed forever: changing it would give every carried row a new event id, and a re-run would no
# longer be recognised as one.
CARRY_OVER = uuid.UUID("3f5c2a0e-8f5e-4c8b-9a57-17c0a1e5b017")


def carried_event_id(role: str, request_id: str, citizen_id: str) -> str:
    return str(uuid.uuid5(CARRY_OVER, "\x00".join((role, request_id, citizen_id))))


@dataclass
class CarriedOver:
    reporters: int = 0
    followers: int = 0
    staged: int = 0  # new outbox rows (0 on a re-run while the first run's rows are kept)


async def carry_followers_over(session: AsyncSession, outbox: Outbox) -> CarriedOver:
    """Stage one request.subscribed per reporter and follower, in the caller's transaction."""
    done = CarriedOver()
    async for batch in carry_over.reporters_and_followers(session):
        rows = []
        for role, request_id, citizen_id, at in batch:
            data = {"request_id": request_id, "citizen_id": citizen_id, "at": json_time(at), "role": role}
            _, row = outbox.stage_data(CitizenRequestSubscribed, data, aggregate_id=request_id, time=at,
                                       event_id=carried_event_id(role, request_id, citizen_id))
            rows.append(row)
            if role == "reporter":
                done.reporters += 1
            else:
                done.followers += 1
        done.staged += await carry_over.stage_once(session, rows)
    return done
