"""Moderation (issue 18, item 2) end to end on the real service, database and broker: moderators
publish, redact or hide descriptions and comments, hide a whole request, limit a citizen; every
decision is kept (who, when, why, before and after) and told as request.moderated without the
original text."""

from __future__ import annotations

from sqlalchemy import select

from citizen_requests.adapters.tables import comments, messaging
from ecity_cli.testing import bearer, serving
from ecity_cli.testing_photos import phone_photo
from ecity_common.events import spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestCommented, CitizenRequestModerated

PHONE = "+380 67 111 22 33"
LEAK = {"service_code": "no_water", "description": f"Немає води, дзвоніть {PHONE}, Іван Петренко", "lat": 50.91,
        "long": 34.8}
HOLE = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма на розі", "lat": 50.92, "long": 34.79}


async def _outbox(client, model) -> list[dict]:
    async with client.app.state.engine.connect() as conn:
        rows = await conn.execute(select(messaging.outbox.c.event_id, messaging.outbox.c.payload)
                                  .where(messaging.outbox.c.type == spec_of(model).type).order_by(messaging.outbox.c.id))
        return [{"event_id": r.event_id, **r.payload["data"]} for r in rows]


async def test_a_description_is_redacted_then_hidden_and_each_decision_is_kept_and_told(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-mod-1", "citizen")
        moderator = bearer(client.settings, "moderator-1", "moderator")
        filed = await client.post("/api/v1/requests", headers=citizen, json=LEAK)
        rid = filed.json()["service_request_id"]
        assert filed.json()["description_publication"] == "pending"

        queue = (await client.get("/api/v1/moderation/queue", headers=moderator)).json()
        waiting = [i for i in queue["items"] if i["request_id"] == rid]
        assert waiting and waiting[0]["kind"] == "description" and PHONE in waiting[0]["text"]
        assert "[телефон приховано]" in waiting[0]["masked"] and queue["counts"]["description"] >= 1

        # A redaction that brings the phone back is refused, naming the field.
        bad = await client.post(f"/api/v1/moderation/requests/{rid}/description", headers=moderator,
                                json={"action": "redact", "reason": "ім'я", "text": f"Немає води, {PHONE}"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert "text" in bad.text
        redacted = await client.post(f"/api/v1/moderation/requests/{rid}/description", headers=moderator,
                                     json={"action": "redact", "reason": "ім'я і телефон заявника",
                                           "text": "Немає води в будинку"})
        assert redacted.status_code == 200, redacted.text
        assert redacted.json()["before"] == {"state": "pending", "public_text": LEAK["description"].replace(
            PHONE, "[телефон приховано]")} and redacted.json()["after"] == {"state": "published",
                                                                           "public_text": "Немає води в будинку"}
        public = (await client.get(f"/open311/v2/requests/{rid}.json")).json()[0]
        assert public["description"] == "Немає води в будинку"
        own = (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
        assert own["description"] == LEAK["description"]  # the citizen's own read keeps the original
        queue = (await client.get("/api/v1/moderation/queue?kind=description", headers=moderator)).json()
        assert rid not in [i["request_id"] for i in queue["items"]]

        hidden = await client.post(f"/api/v1/moderation/requests/{rid}/description", headers=moderator,
                                   json={"action": "hide", "reason": "образливо"})
        assert hidden.status_code == 200, hidden.text
        assert (await client.get(f"/open311/v2/requests/{rid}.json")).json()[0]["description"] is None
        again = await client.post(f"/api/v1/moderation/requests/{rid}/description", headers=moderator,
                                  json={"action": "hide", "reason": "ще раз"})
        assert again.status_code == 409  # nothing would change: no second decision

        history = (await client.get(f"/api/v1/moderation/requests/{rid}/decisions", headers=moderator)).json()["decisions"]
        assert [(d["action"], d["moderator"], d["reason"]) for d in history] == [
            ("redacted", "moderator-1", "ім'я і телефон заявника"), ("hidden", "moderator-1", "образливо")]
        told = [e for e in await _outbox(client, CitizenRequestModerated) if e["request_id"] == rid]
        assert [(e["target"], e["action"], e["public_text"]) for e in told] == [
            ("description", "redacted", "Немає води в будинку"), ("description", "hidden", None)]
        assert not any("Петренко" in str(e) or "111 22 33" in str(e) for e in told)  # never the original


async def test_a_comment_is_hidden_with_the_id_of_the_event_that_told_of_it(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-mod-2", "citizen")
        moderator = bearer(client.settings, "moderator-2", "moderator")
        rid = (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).json()["service_request_id"]
        said = await client.post(f"/api/v1/requests/{rid}/comments", headers=citizen,
                                 json={"text": "Пишіть мені на ivan.p@example.com"})
        assert said.json()["publication"] == "pending"
        queue = (await client.get("/api/v1/moderation/queue?kind=comment", headers=moderator)).json()
        (item,) = [i for i in queue["items"] if i["request_id"] == rid]
        hidden = await client.post(f"/api/v1/moderation/comments/{item['target_id']}", headers=moderator,
                                   json={"action": "hide", "reason": "контакти"})
        assert hidden.status_code == 200, hidden.text
        async with client.app.state.engine.connect() as conn:
            assert (await conn.scalar(select(comments.c.publication).where(comments.c.request_id == rid))) == "hidden"
        (commented,) = [e for e in await _outbox(client, CitizenRequestCommented) if e["request_id"] == rid]
        (moderated,) = [e for e in await _outbox(client, CitizenRequestModerated) if e["request_id"] == rid]
        assert moderated["target"] == "comment" and moderated["target_id"] == item["target_id"]
        assert moderated["comment_event_id"] == commented["event_id"]
        assert (await client.post("/api/v1/moderation/comments/987654321", headers=moderator,
                                  json={"action": "hide", "reason": "x"})).status_code == 404


async def test_a_private_description_stays_private(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-mod-3", "citizen")
        moderator = bearer(client.settings, "moderator-3", "moderator")
        rid = (await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "publish": False})).json()["service_request_id"]
        refused = await client.post(f"/api/v1/moderation/requests/{rid}/description", headers=moderator,
                                    json={"action": "publish", "reason": "варто показати"})
        assert refused.status_code == 409 and "private" in refused.text


async def test_a_hidden_request_leaves_every_public_list_and_comes_back_when_shown(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-mod-4", "citizen")
        moderator = bearer(client.settings, "moderator-4", "moderator")
        rid = (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).json()["service_request_id"]

        async def public_ids() -> set[str]:
            listed = (await client.get("/api/v1/public/requests?limit=500")).json()["results"]
            return {r["service_request_id"] for r in listed}

        assert rid in await public_ids()
        hide = await client.post(f"/api/v1/moderation/requests/{rid}/listing", headers=moderator,
                                 json={"hidden": True, "reason": "спам"})
        assert hide.status_code == 200, hide.text
        assert rid not in await public_ids()
        assert (await client.get(f"/open311/v2/requests/{rid}.json")).status_code == 404
        # Another citizen filing the same pothole is not offered the spam as a duplicate.
        other = bearer(client.settings, "citizen-mod-5", "citizen")
        near = (await client.post("/api/v1/requests", headers=other, json=HOLE)).json()
        assert rid not in [d["service_request_id"] for d in near["possible_duplicates"]]
        assert (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).status_code == 200  # their own, still
        show = await client.post(f"/api/v1/moderation/requests/{rid}/listing", headers=moderator,
                                 json={"hidden": False, "reason": "помилково"})
        assert show.status_code == 200 and rid in await public_ids()
        told = [e for e in await _outbox(client, CitizenRequestModerated) if e["request_id"] == rid]
        assert [(e["target"], e["action"]) for e in told] == [("request", "hidden"), ("request", "shown")]


async def test_a_citizen_limited_by_a_moderator_is_refused_with_a_clear_problem(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-abuser", "citizen")
        moderator = bearer(client.settings, "moderator-5", "moderator")
        assert (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).status_code == 201
        set_zero = await client.put("/api/v1/moderation/citizens/citizen-abuser/limit", headers=moderator,
                                    json={"limit": 0, "reason": "200 звернень-спаму за день"})
        assert set_zero.status_code == 200, set_zero.text
        assert set_zero.json()["before"] == {"limit": None} and set_zero.json()["after"] == {"limit": 0}
        # Both ways of filing: the filing desk, and with an Idempotency-Key (its own transaction).
        for headers in (citizen, {**citizen, "Idempotency-Key": "abuser-1"}):
            refused = await client.post("/api/v1/requests", headers=headers, json=HOLE)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "filing-suspended" in refused.json()["type"]
        set_one = await client.put("/api/v1/moderation/citizens/citizen-abuser/limit", headers=moderator,
                                   json={"limit": 2, "reason": "виправився"})
        assert set_one.status_code == 200
        # One filed already in this window: one more, then their own limit.
        assert (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).status_code == 201
        limited = await client.post("/api/v1/requests", headers=citizen, json=HOLE)
        assert limited.status_code == 429 and "citizen-limited" in limited.json()["type"], limited.text
        lifted = await client.put("/api/v1/moderation/citizens/citizen-abuser/limit", headers=moderator,
                                  json={"limit": None, "reason": "строк минув"})
        assert lifted.status_code == 200
        assert (await client.post("/api/v1/requests", headers=citizen, json=HOLE)).status_code == 201
        kept = (await client.get("/api/v1/moderation/citizens/citizen-abuser/limit", headers=moderator)).json()
        assert kept["limit"] is None
        assert [(d["before"], d["after"]) for d in kept["decisions"]] == [
            ({"limit": None}, {"limit": 0}), ({"limit": 0}, {"limit": 2}), ({"limit": 2}, {"limit": None})]
        assert all(d["moderator"] == "moderator-5" and d["target"] == "citizen" for d in kept["decisions"])
        bad = await client.put("/api/v1/moderation/citizens/citizen-abuser/limit", headers=moderator,
                               json={"limit": -1, "reason": "x"})
        assert bad.status_code == 422 and "limit" in bad.text


async def test_the_queue_pages_oldest_first_by_cursor(services):
    async with serving(services, "citizen-requests") as client:
        moderator = bearer(client.settings, "moderator-6", "moderator")
        filed = []
        for n in range(5):
            citizen = bearer(client.settings, f"citizen-queue-{n}", "citizen")
            answer = await client.post("/api/v1/requests", headers=citizen, json=LEAK)
            filed.append(answer.json()["service_request_id"])
            await client.post(f"/api/v1/requests/{filed[-1]}/comments", headers=citizen, json={"text": f"ще {PHONE}"})
        seen, after = [], None
        for _ in range(10):
            page = (await client.get("/api/v1/moderation/queue", headers=moderator,
                                     params={"limit": 3, **({"after": after} if after else {})})).json()
            seen += page["items"]
            after = page["next_cursor"]
            if after is None:
                break
        keys = [(i["kind"], i["target_id"]) for i in seen]
        assert len(keys) == len(set(keys)) == 10  # every one once
        assert [i["waiting_since"] for i in seen] == sorted(i["waiting_since"] for i in seen)
        assert page["counts"] == {"description": 5, "comment": 5, "photo": 0}
        bad = await client.get("/api/v1/moderation/queue?after=bm90LWEtY3Vyc29y", headers=moderator)
        assert bad.status_code == 422 and "query.after" in bad.text


async def test_a_photo_waits_in_the_queue_until_a_moderator_publishes_or_hides_it(services):
    async with serving(services, "citizen-requests") as client:
        citizen = bearer(client.settings, "citizen-mod-photo", "citizen")
        moderator = bearer(client.settings, "moderator-7", "moderator")
        uploaded = await client.post("/api/v1/photos", headers=citizen, data={"use_location": "false"},
                                     files={"file": ("IMG.JPG", phone_photo(640, 480, fmt="JPEG", gps=False), "image/jpeg")})
        pid = uploaded.json()["photo_id"]
        # Not attached yet: on no queue, nobody's to publish.
        assert (await client.get("/api/v1/moderation/queue?kind=photo", headers=moderator)).json()["items"] == []
        unattached = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                                       json={"action": "publish", "reason": "x"})
        assert unattached.status_code == 409
        rid = (await client.post("/api/v1/requests", headers=citizen, json={**HOLE, "photo_ids": [pid]})).json()[
            "service_request_id"]
        queue = (await client.get("/api/v1/moderation/queue?kind=photo", headers=moderator)).json()
        (item,) = queue["items"]
        assert (item["target_id"], item["request_id"], item["photo"]) == (pid, rid, f"/api/v1/photos/{pid}/1280")
        assert queue["counts"]["photo"] == 1
        assert (await client.get(item["photo"], headers=moderator)).status_code in (200, 307)  # they look first
        public = f"/api/v1/public/photos/{pid}/320"
        assert (await client.get(public)).status_code == 404
        published = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                                      json={"action": "publish", "reason": "яма, нікого в кадрі"})
        assert published.status_code == 200 and (await client.get(public)).status_code in (200, 307)
        hidden = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                                   json={"action": "hide", "reason": "номер авто в кадрі"})
        assert hidden.status_code == 200 and (await client.get(public)).status_code == 404
        bad = await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator,
                                json={"action": "redact", "reason": "x"})
        assert bad.status_code == 422 and "action" in bad.text
        told = [(e["target"], e["target_id"], e["action"]) for e in await _outbox(client, CitizenRequestModerated)]
        assert told == [("photo", pid, "published"), ("photo", pid, "hidden")]
        history = (await client.get(f"/api/v1/moderation/requests/{rid}/decisions", headers=moderator)).json()
        assert [(d["before"], d["after"]) for d in history["decisions"]] == [
            ({"state": "pending"}, {"state": "published"}), ({"state": "published"}, {"state": "hidden"})]
        # A request hidden from the public hides its photos too, whatever their state.
        await client.post(f"/api/v1/moderation/photos/{pid}", headers=moderator, json={"action": "publish", "reason": "ок"})
        await client.post(f"/api/v1/moderation/requests/{rid}/listing", headers=moderator,
                          json={"hidden": True, "reason": "спам"})
        assert (await client.get(public)).status_code == 404
