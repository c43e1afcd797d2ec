"""The domain's rules on their own: delivery keys, who hears what, what a message says."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from notifications.domain.deliveries import (
    DeliveryKey,
    Follower,
    RequestNews,
    audience_of_request_news,
    delivery_id,
    message_id,
    news_of_status_change,
)
from notifications.domain.messages import request_news


def test_the_message_id_is_the_keys_and_only_the_keys():
    key = DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "email")
    assert message_id(key, "n.example") == message_id(DeliveryKey(*key.__dict__.values()), "n.example")
    assert message_id(key, "n.example").startswith("<") and message_id(key, "n.example").endswith("@n.example>")
    others = [DeliveryKey("/ecity/citizen-requests#e2", "citizen-1", "email"),
              DeliveryKey("/ecity/citizen-requests#e1", "citizen-2", "email"),
              DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "webpush"),
              # the parts do not run into each other: "e1" + "citizen-1" is not "e1c" + "itizen-1"
              DeliveryKey("/ecity/citizen-requests#e1c", "itizen-1", "email")]
    assert len({message_id(k, "d") for k in [key, *others]}) == 5
    assert len({delivery_id(k) for k in [key, *others]}) == 5


def test_the_reporter_hears_unless_they_opted_out_and_followers_hear_once():
    followers = [Follower("reporter-1", "reporter"), Follower("f-2", "follower"), Follower("f-1", "follower")]
    assert audience_of_request_news(followers) == ["f-1", "f-2", "reporter-1"]
    opted_out = [Follower("reporter-1", "reporter", opted_out=True), Follower("f-1", "follower")]
    assert audience_of_request_news(opted_out) == ["f-1"]
    assert audience_of_request_news([]) == []


def test_a_change_that_says_nothing_public_is_no_news():
    at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    same = dict(request_id="r1", from_status="in_progress", to_status="in_progress", open311_status="open",
                expected_datetime=None, changed_at=at)
    assert news_of_status_change(**same, public_note=None) is None
    assert news_of_status_change(**same, public_note="   ") is None
    assert news_of_status_change(**same, public_note="Бригада виїхала").public_note == "Бригада виїхала"
    moved = news_of_status_change(**{**same, "to_status": "resolved", "open311_status": "closed"}, public_note=None)
    assert moved.to_status == "resolved" and moved.closed


def test_the_message_is_ukrainian_in_kyiv_time_plain_and_html():
    news = news_of_status_change(request_id="r1", from_status="assigned", to_status="in_progress",
                                 open311_status="open", public_note="Бригада <виїхала>",
                                 expected_datetime=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
                                 changed_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    out = request_news(news, address="a@example.org", message_id="<x@d>")
    assert out.subject == "Звернення r1: у роботі"
    assert "01.12.2026 о 00:30" in out.text  # 22:30 UTC is half past midnight in Kyiv (UTC+2 in winter)
    assert "01.12.2026 о 17:00" in out.text and "Бригада <виїхала>" in out.text
    assert "Бригада &lt;виїхала&gt;" in out.html and "<виїхала>" not in out.html  # escaped in HTML


def test_each_device_is_owed_its_own_push_and_an_e_mails_key_is_unchanged():
    mail = DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "email")
    # What 0002's rows were keyed by: a device-less key digests its three parts alone.
    assert mail.digest() == hashlib.sha256(b"/ecity/citizen-requests#e1\x00citizen-1\x00email").hexdigest()
    phone = DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "push", device="d1")
    laptop = DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "push", device="d2")
    assert len({delivery_id(k) for k in (mail, phone, laptop)}) == 3
    assert delivery_id(phone) == delivery_id(DeliveryKey("/ecity/citizen-requests#e1", "citizen-1", "push", device="d1"))


def test_a_push_payload_is_small_json_that_fits_a_push_service_whatever_the_note():
    from notifications.domain.push import PAYLOAD_MAX, payload_of

    news = RequestNews("req-1", "assigned", "in_progress", False, "Ї" * 4000, None, datetime(2026, 1, 5, 10, tzinfo=UTC))
    message = request_news(news, address="d1", message_id="<x@y>", link="https://ecity.sumy.ua/requests/req-1")
    raw = payload_of(message)
    shown = json.loads(raw)
    assert len(raw) <= PAYLOAD_MAX and shown["title"] == "Звернення req-1: у роботі"
    assert shown["body"].startswith("Стан вашого звернення req-1 змінено: у роботі (05.01.2026 о 12:00).")
    assert shown["body"].endswith("…") and shown["url"].endswith("/req-1") and shown["tag"] == "request-req-1"
