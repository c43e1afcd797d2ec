"""The rules of "my address" on their own: when an outage is news, Ukrainian plurals, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from notifications.domain.messages import duration, plural
from notifications.domain.places import Change, Place, change_for, network_outage_covers, urgent
from notifications.domain.schedule import KYIV, QuietHours, RateLimit

T1 = datetime(2026, 11, 30, 10, tzinfo=UTC)
T2 = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_an_outage_is_news_when_it_begins_moves_its_end_or_ends_for_those_told():
    def news(**kw):
        return change_for(**{"told_before": False, "covered_now": True, "resolved": False,
                             "end_before": T1, "end_now": T1, **kw})

    assert news() is Change.BEGAN
    assert news(told_before=True) is None  # nothing a citizen would act on changed
    assert news(told_before=True, end_now=T2) is Change.END_MOVED
    assert news(told_before=True, end_before=None, end_now=T2) is Change.END_MOVED
    assert news(told_before=True, covered_now=False) is Change.ENDED  # the area shrank away from them
    assert news(told_before=True, resolved=True) is Change.ENDED
    assert news(resolved=True) is None  # never told it began: not told it ended
    assert news(covered_now=False) is None
    assert urgent(Change.BEGAN, planned=False) and not urgent(Change.BEGAN, planned=True)
    assert not urgent(Change.ENDED, planned=False)


def test_a_network_outage_covers_a_place_at_a_cut_off_sites_house_only():
    place = Place("p", "c", "Петропавлівська вулиця, 5", None, None)
    assert network_outage_covers(["вул. Петропавлівська, 5"], place)
    assert not network_outage_covers(["вул. Петропавлівська, 7", None], place)
    whole_street = Place("p", "c", "вул. Петропавлівська", None, None)
    assert not network_outage_covers(["вул. Петропавлівська"], whole_street)


def test_ukrainian_plurals_and_durations():
    forms = ("година", "години", "годин")
    assert [plural(n, *forms) for n in (1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 0)] == [
        "година", "години", "години", "годин", "годин", "годин", "годин", "година", "години", "годин",
        "година", "годин", "годин"]
    assert duration(3 * 3600 + 5 * 60) == "3 години 5 хвилин"
    assert duration(2 * 86400 + 3600 + 60) == "2 дні 1 година"  # minutes dropped beside days
    assert duration(21 * 60) == "21 хвилина"
    assert duration(30) == "менше хвилини"


def test_quiet_hours_hold_what_is_not_urgent_until_the_morning_in_kyiv():
    quiet = QuietHours(time(22), time(8))
    night = datetime(2026, 11, 30, 23, 30, tzinfo=KYIV)
    assert quiet.not_before(night, urgent=True) == night
    morning = quiet.not_before(night, urgent=False)
    assert morning.astimezone(KYIV).replace(tzinfo=None) == datetime(2026, 12, 1, 8, 0)
    early = datetime(2026, 12, 1, 5, 0, tzinfo=KYIV)
    assert quiet.not_before(early, urgent=False).astimezone(KYIV).replace(tzinfo=None) == datetime(2026, 12, 1, 8, 0)
    day = datetime(2026, 12, 1, 13, 0, tzinfo=KYIV)
    assert quiet.not_before(day, urgent=False) == day
    # The night the clocks go back (25–26 October 2026): still 08:00 on the wall.
    autumn = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 04:00 Kyiv summer time
    held = quiet.not_before(autumn, urgent=False).astimezone(KYIV)
    assert (held.date().isoformat(), held.hour, held.minute) == ("2026-10-25", 8, 0)
    never = QuietHours(time(0), time(0))
    assert never.not_before(night, urgent=False) == night


def test_past_the_hourly_bound_what_is_not_urgent_waits_an_hour():
    rate = RateLimit(per_hour=3)
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert rate.not_before(now, recent=2, urgent=False) == now
    assert rate.not_before(now, recent=3, urgent=False) == now + timedelta(hours=1)
    assert rate.not_before(now, recent=30, urgent=True) == now  # the water went off: it passes
