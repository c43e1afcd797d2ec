from datetime import UTC, date, datetime, timedelta

import pytest

from citizen_requests.domain.deadlines import KYIV, ExtensionRefused, deadline, extend, latest_possible, overdue
from citizen_requests.domain.incidents import incident_deadline
from citizen_requests.domain.workflow import IllegalTransition, can_reopen, check_transition, company_may_move, open311_status


def kyiv(*args) -> datetime:
    return datetime(*args, tzinfo=KYIV)


def test_a_month_runs_to_the_same_date_next_month_or_its_last_day():
    assert deadline(kyiv(2026, 1, 31, 10), "1_month").astimezone(KYIV).date() == date(2026, 2, 28)
    assert deadline(kyiv(2028, 1, 31, 10), "1_month").astimezone(KYIV).date() == date(2028, 2, 29)  # leap year
    assert deadline(kyiv(2026, 12, 15, 10), "1_month").astimezone(KYIV).date() == date(2027, 1, 15)
    assert deadline(kyiv(2026, 5, 30, 9), "15_days").astimezone(KYIV).date() == date(2026, 6, 14)


def test_the_deadline_is_the_end_of_the_kyiv_day_across_daylight_saving():
    # Kyiv leaves summer time on the last Sunday of October (UTC+3 → UTC+2).
    summer = deadline(kyiv(2026, 10, 10, 12), "15_days")  # ends 25 Oct, after the change
    assert summer == datetime(2026, 10, 25, 21, 59, 59, 999999, tzinfo=UTC)
    spring = deadline(kyiv(2026, 3, 20, 12), "15_days")  # ends 4 Apr, in summer time
    assert spring == datetime(2026, 4, 4, 20, 59, 59, 999999, tzinfo=UTC)
    # Received late in the evening UTC is already the next day in Kyiv.
    assert deadline(datetime(2026, 1, 30, 23, 30, tzinfo=UTC), "1_month").astimezone(KYIV).date() == date(2026, 2, 28)


def test_extensions_need_a_reason_and_stop_at_45_days():
    received = kyiv(2026, 11, 26, 9)
    first = deadline(received, "1_month")
    later = extend(received, first, date(2027, 1, 5), "потрібна експертиза")
    assert later.astimezone(KYIV).date() == date(2027, 1, 5) == latest_possible(received).astimezone(KYIV).date() - timedelta(days=5)
    with pytest.raises(ExtensionRefused, match="45 days"):
        extend(received, first, date(2027, 1, 11), "ще")
    with pytest.raises(ExtensionRefused, match="reason"):
        extend(received, first, date(2027, 1, 1), " ")
    with pytest.raises(ExtensionRefused, match="later"):
        extend(received, first, date(2026, 12, 1), "раніше")
    assert overdue(first, first + timedelta(seconds=1), status="submitted")
    assert not overdue(first, first + timedelta(days=9), status="in_progress", answered_at=first)


def test_workflow_transitions_and_open311_status():
    check_transition("submitted", "accepted")
    check_transition("assigned", "planned")
    check_transition("resolved", "closed")
    for current, wanted in [("submitted", "resolved"), ("closed", "in_progress"), ("duplicate", "in_progress")]:
        with pytest.raises(IllegalTransition):
            check_transition(current, wanted)
    assert [open311_status(s) for s in ("submitted", "action_scheduled", "resolved", "duplicate")] == ["open", "open", "closed", "closed"]
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert can_reopen("resolved", now - timedelta(days=3), now, timedelta(days=14))
    assert not can_reopen("resolved", now - timedelta(days=30), now, timedelta(days=14))
    assert not can_reopen("closed", now, now, timedelta(days=14))


def test_network_incidents_are_answered_in_the_laws_term():
    # Detected late on 28 March UTC: already 29 March in Kyiv, the night the clocks go forward.
    detected = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
    assert incident_deadline(detected) == deadline(detected, "15_days")
    assert incident_deadline(detected) == datetime(2026, 4, 13, 23, 59, 59, 999999, tzinfo=KYIV)
    assert incident_deadline(detected) != detected + timedelta(days=15)  # what incidents were given before


def test_a_company_moves_only_a_request_still_being_handled_and_only_forward():
    assert company_may_move("accepted", "assigned") and company_may_move("assigned", "resolved")
    assert company_may_move("planned", "in_progress")
    assert not company_may_move("resolved", "in_progress")  # a reopening is the citizen's alone
    assert not company_may_move("planned", "planned") and not company_may_move("closed", "resolved")
    assert not company_may_move("submitted", "resolved")
