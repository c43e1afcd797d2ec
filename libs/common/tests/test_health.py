"""Health answers say which check fails; the log says why, once per failure and then every minute."""

from __future__ import annotations

import logging

from ecity_common.web import health


def test_a_failing_check_is_logged_when_it_starts_each_minute_while_it_lasts_and_when_it_ends(monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    reasons = health._Reasons()
    with caplog.at_level(logging.INFO, logger="ecity.health"):
        reasons.note("database", "OSError: connection refused to 10.0.0.7:5432")
        for _ in range(5):  # probes every 10 s: nothing new to say
            now[0] += 10
            reasons.note("database", "OSError: connection refused to 10.0.0.7:5432")
        now[0] += 15  # a minute since it was said
        reasons.note("database", "InvalidCatalogNameError: database does not exist")
        reasons.note("database", None)
        reasons.note("database", None)
    assert [r.getMessage() for r in caplog.records] == [
        "health check database fails: OSError: connection refused to 10.0.0.7:5432",
        "health check database fails: InvalidCatalogNameError: database does not exist",
        "health check database is ok again",
    ]
