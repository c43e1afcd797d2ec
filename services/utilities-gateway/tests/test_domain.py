"""The gateway's rules without I/O: areas and routing, meters, webhook signatures and retries, targets."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook, WebhookVerificationError

from ecity_common.areas import Area, parse_address
from utilities_gateway.adapters.webhook_targets import check_target
from utilities_gateway.domain.companies import Company, route
from utilities_gateway.domain.meters import ReadingIn, Series, eic_check_character, is_valid_eic, order_problem, static_problem
from utilities_gateway.domain.targets import UnsafeTarget
from utilities_gateway.domain.webhooks import RETRY_SCHEDULE, judge, new_secret, next_delay, parse_retry_after, sign

CENTRE = {"type": "Polygon", "coordinates": [[[34.78, 50.90], [34.82, 50.90], [34.82, 50.92], [34.78, 50.92], [34.78, 50.90]]]}


@pytest.mark.parametrize(("address", "expected"), [
    ("вул. Соборна, 12а", ("соборна", 12)),
    ("м. Суми, просп. Шевченка, буд. 20", ("шевченка", 20)),
    ("Соборна вулиця 7", ("соборна", 7)),
    ("вул. Героїв Крут, 5/1", ("героїв крут", 5)),
    ("вул. 20 років Перемоги, 3", ("20 років перемоги", 3)),
    ("Харківська", ("харківська", None)),
    ("м. Суми,  вул.\tСоборна ,  12 - а ", ("соборна", 12)),  # any whitespace, read as one space
    ("вул. Соборна, 1234567", ("соборна 1234567", None)),  # seven digits are not a house number
    ("вул. Соборна, " + "1" * 5000, ("соборна " + "1" * 5000, None)),  # (int() refuses 4,300 digits: no ValueError)
])
def test_addresses_are_read_the_way_people_write_them(address, expected):
    assert parse_address(address) == expected


def test_routing_reads_the_address_once_for_all_the_companies():
    """Every company of the kind is asked whether it serves the address (and citizen-requests asks
    every active outage): the address is read once, not once per area."""
    companies = [_company(f"c{i}", "water", {"streets": [{"street": f"Вулиця {i}"}]}) for i in range(20)]
    parse_address.cache_clear()
    routing = route(companies, kind="water", service_code="water_leak", lat=None, long=None, address="вул. Соборна, 1")
    assert routing.outcome == "failed"
    assert parse_address.cache_info().misses == 1 and parse_address.cache_info().hits == 19


def test_an_area_covers_its_street_ranges_and_its_polygon():
    area = Area(streets=[{"street": "вулиця Соборна", "from_house": 1, "to_house": 45, "side": "odd"},
                         {"street": "Харківська"}], geometry=CENTRE)
    assert area.covers(address="вул. Соборна, 13") and not area.covers(address="вул. Соборна, 14")
    assert not area.covers(address="вул. Соборна, 47") and not area.covers(address="вул. Соборна")  # part of a street
    assert area.covers(address="Харківська") and area.covers(address="вул. Харківська, 100")
    assert area.covers(lat=50.91, long=34.80) and not area.covers(lat=50.95, long=34.80)
    assert not area.covers()
    city = Area(whole_city=True)
    assert city.covers(address="вул. Будь-яка, 1") and city.covers(lat=50.9, long=34.8) and not city.covers(lat=50.5, long=34.8)


@pytest.mark.parametrize(("area", "field_text"), [
    ({}, "streets, a geometry or whole_city"),
    ({"geometry": {"type": "Point", "coordinates": [34.8, 50.9]}}, "Polygon or MultiPolygon"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}, "Self-intersection"),
    ({"streets": [{"street": "Соборна", "from_house": 9, "to_house": 3}]}, "from_house"),
])
def test_a_bad_area_says_what_is_wrong(area, field_text):
    with pytest.raises(ValidationError, match=field_text):
        Area.model_validate(area)


def _company(id_, kind, area, priority=100, codes=()):
    return Company(id=id_, name=id_, kind=kind, area=Area.model_validate(area), service_codes=frozenset(codes), priority=priority)


def test_routing_picks_the_company_serving_the_place_and_says_why_when_none_does():
    north = _company("north", "waste", {"geometry": {"type": "Polygon", "coordinates": [
        [[34.6, 50.907], [35.0, 50.907], [35.0, 51.02], [34.6, 51.02], [34.6, 50.907]]]}})
    south = _company("south", "waste", {"streets": [{"street": "Соборна"}]})
    water = _company("water", "water", {"geometry": CENTRE})
    companies = [north, south, water]
    assert route(companies, kind="waste", service_code="waste_collection", lat=50.95, long=34.8, address=None).company == north
    assert route(companies, kind="waste", service_code="waste_collection", lat=None, long=None,
                 address="вул. Соборна, 3").company == south
    failed = route(companies, kind="waste", service_code="waste_collection", lat=50.85, long=34.8, address="вул. Іллінська, 1")
    assert failed.outcome == "failed" and "вивезення відходів" in failed.reason and "Іллінська" in failed.reason
    assert "neither a location nor an address" in route(companies, kind="water", service_code="water_leak", lat=None,
                                                         long=None, address=None).reason
    assert route(companies, kind="gas", service_code="gas_smell", lat=50.91, long=34.8, address=None).reason.startswith("no company")


def test_two_companies_on_one_place_the_lower_priority_wins_every_time():
    a = _company("a", "heating", {"geometry": CENTRE}, priority=50)
    b = _company("b", "heating", {"geometry": CENTRE}, priority=100)
    only_hot_water = _company("c", "heating", {"geometry": CENTRE}, priority=1, codes={"no_hot_water"})
    for order in ([a, b, only_hot_water], [only_hot_water, b, a]):
        assert route(order, kind="heating", service_code="heating_off", lat=50.91, long=34.8, address=None).company == a
        assert route(order, kind="heating", service_code="no_hot_water", lat=50.91, long=34.8, address=None).company == only_hot_water


@pytest.mark.parametrize("code", ["10YUA-WEPS-----0", "10Y1001C--000182", "10YDE-VE-------2", "10YFR-RTE------C"])
def test_eic_check_character_matches_published_codes(code):
    assert is_valid_eic(code) and eic_check_character(code[:15]) == code[15]


def test_a_mistyped_eic_is_caught():
    assert not is_valid_eic("10YUA-WEPS-----1") and not is_valid_eic("10YUA-WEPS-----")
    # One character changed anywhere changes the check character.
    assert not is_valid_eic("10YUA-WEPT-----0")


NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _reading(**kw):
    return ReadingIn(**{"meter_id": "62Z" + "1234567890" + "12" + eic_check_character("62Z123456789012"),
                        "reading_type": "active_energy_import", "unit": "kWh", "value": 100.0,
                        "taken_at": NOW - timedelta(hours=1), **kw})


@pytest.mark.parametrize(("kind", "change", "field", "reason"), [
    ("electricity", {"meter_id": "62Z123456789012X"}, "meter_id", "check character"),
    ("electricity", {"unit": "m3"}, "unit", "kWh"),
    ("electricity", {"reading_type": "volume", "unit": "m3"}, "reading_type", "active_energy_import"),
    ("electricity", {"taken_at": NOW + timedelta(hours=1)}, "taken_at", "future"),
    ("water", {"meter_id": "ABC"}, "meter_id", "account number"),
    ("waste", {"meter_id": "123456"}, "reading_type", "no meters"),
])
def test_readings_wrong_whatever_is_stored(kind, change, field, reason):
    problem = static_problem(kind, _reading(**change), NOW)
    assert problem is not None and problem[0] == field and reason in problem[1]


def test_a_good_reading_passes_and_a_clock_a_little_fast_is_forgiven():
    assert static_problem("electricity", _reading(), NOW) is None
    assert static_problem("electricity", _reading(taken_at=NOW + timedelta(minutes=2)), NOW) is None
    assert static_problem("water", _reading(meter_id="00123456", reading_type="cold_water_volume", unit="m3"), NOW) is None


def test_a_cumulative_register_never_goes_down_and_keeps_its_unit():
    series = Series(unit="kWh", last_value=100.0)
    assert order_problem(series, _reading(value=100.0), 100.0, None) is None
    assert "decreased" in order_problem(series, _reading(value=99.5), 100.0, None)
    assert "exceeds a later reading" in order_problem(series, _reading(value=130.0), 100.0, 120.0)
    assert "kept in kWh" in order_problem(series, _reading(unit="MWh"), 100.0, None)


def test_signatures_verify_with_the_standard_webhooks_library_including_during_rotation():
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_")
    body = json.dumps({"type": "request.routed", "timestamp": "2026-11-26T10:00:00Z", "data": {"request_id": "r1"}}).encode()
    now = int(datetime.now(UTC).timestamp())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": sign([new, old], "msg_1", now, body)}
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver that knows either secret accepts it
        assert Webhook(secret).verify(body, headers)["data"]["request_id"] == "r1"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace(b"r1", b"r2"), headers)  # a body changed on the way


def test_retry_schedule_backoff_jitter_and_retry_after():
    rng = random.Random(1)
    delays = [next_delay(n, RETRY_SCHEDULE, rng=rng) for n in range(len(RETRY_SCHEDULE))]
    assert delays[0] == 0 and all(0.8 * s <= d <= 1.2 * s for d, s in zip(delays, RETRY_SCHEDULE, strict=True))
    assert 2.5 * 86400 < sum(RETRY_SCHEDULE) < 3.5 * 86400  # about three days
    assert next_delay(len(RETRY_SCHEDULE), RETRY_SCHEDULE) is None
    assert next_delay(1, RETRY_SCHEDULE, retry_after_s=120, rng=rng) == 120  # Retry-After is a floor
    assert judge(429, "7").retry_after_s == 7 and judge(503, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after_s == 0
    assert judge(410, None).disable_endpoint and judge(204, None).succeeded and not judge(500, "5").retry_after_s
    assert parse_retry_after("999999") == 86400 and parse_retry_after("soon") is None


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.5/",
                                 "https://192.168.1.1/", "https://[::1]/", "https://[::ffff:10.0.0.1]/", "https://100.64.1.1/",
                                 "https://localhost/", "https://api.svc.cluster.local/", "http://8.8.8.8/",
                                 "https://user:pw@8.8.8.8/", "ftp://8.8.8.8/",
                                 # IPv4 inside IPv6: NAT64 and 6to4 forms of the metadata address, site-local
                                 "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::1]/", "https://[fec0::1]/",
                                 # IPv4-compatible and IPv4-translated forms (they passed before), and
                                 # IPv6 outside global unicast even where Python calls it global
                                 "https://[::7f00:1]/", "https://[::a9fe:a9fe]/", "https://[::ffff:0:a9fe:a9fe]/",
                                 "https://[::ffff:0:808:808]/", "https://[4000::1]/"])
async def test_unsafe_webhook_targets_are_refused(url):
    with pytest.raises(UnsafeTarget):
        await check_target(url)


async def test_public_targets_pass_and_local_development_may_allow_private_ones():
    await check_target("https://8.8.8.8/hooks")
    await check_target("https://[2606:4700::1111]/hooks")
    await check_target("https://[64:ff9b::808:808]/hooks")  # what DNS64 gives for a public IPv4-only host
    await check_target("http://127.0.0.1:8080/hooks", allow_private=True, allow_http=True)


def test_webhook_secrets_are_sealed_and_only_the_same_key_opens_them():
    from utilities_gateway.adapters.sealed import SecretBox

    box, secret = SecretBox("key-one"), new_secret()
    sealed = box.seal(secret)
    assert sealed.startswith("sealed:v1:") and secret not in sealed and sealed != box.seal(secret)  # random IV
    assert box.open(sealed) == secret
    with pytest.raises(ValueError, match="another key"):
        SecretBox("key-two").open(sealed)
    with pytest.raises(ValueError, match="unsealed"):
        box.open(secret)


async def test_the_webhook_connection_goes_to_the_address_that_was_checked():
    import httpcore

    from utilities_gateway.adapters.webhook_targets import GuardedBackend

    answers = {"hooks.vodokanal.example": ["93.184.216.34"], "rebound.example": ["127.0.0.1"]}

    async def resolve(host, port):
        return answers[host]

    class Recorder:
        def __init__(self):
            self.calls = []

        async def connect_tcp(self, host, port, **kwargs):
            self.calls.append((host, port))
            return "stream"

    backend = GuardedBackend(resolve)
    backend._inner = recorder = Recorder()  # noqa: SLF001 - stand in for the network
    assert await backend.connect_tcp("hooks.vodokanal.example", 443) == "stream"
    assert recorder.calls == [("93.184.216.34", 443)]  # the checked address, not the name again
    with pytest.raises(httpcore.ConnectError, match="not public") as refused:
        await backend.connect_tcp("rebound.example", 443)  # a name that now points inside
    assert "127.0.0.1" not in str(refused.value)  # and what it points at is not told
    with pytest.raises(httpcore.ConnectError, match="private"):
        await backend.connect_tcp("10.0.0.7", 443)
    assert len(recorder.calls) == 1


def test_a_refused_name_does_not_tell_what_it_resolves_to():
    import ipaddress

    from utilities_gateway.domain.targets import host_problem

    internal = [ipaddress.ip_address("10.20.30.40")]
    assert host_problem("hooks.company.example", internal) == "hooks.company.example resolves to an address that is not public"
    assert "10.20.30.40" in host_problem("10.20.30.40", internal)  # the caller's own literal may be named
