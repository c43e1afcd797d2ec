"""The registry's rules on their own: status transitions, commissioning, optimistic versions and
what the network management system may report. No database."""

from __future__ import annotations

import pytest

from ecity_common.refusals import Conflict, Stale
from network_registry.domain.lifecycle import check_transition, is_commissioning
from network_registry.domain.monitoring import changes_anything, read_report
from network_registry.domain.versions import check_version, etag, version_in


def test_status_moves_only_along_the_lifecycle():
    check_transition("planned", "active")
    check_transition("failed", "active")  # back after a repair
    check_transition("active", "active")  # no change is no transition
    with pytest.raises(Conflict) as refused:
        check_transition("decommissioned", "active")
    assert refused.value.field == "status" and "none: it is decommissioned" in refused.value.detail
    with pytest.raises(Conflict):
        check_transition("planned", "failed")


def test_commissioning_is_a_paid_asset_going_into_service():
    paid = {"status": "active", "cost_kop": 45_000_000, "measure_code": "02-1", "holder_code": "02"}
    assert is_commissioning({"status": "planned"}, paid)
    assert not is_commissioning({"status": "failed"}, paid)  # a repair is no commissioning
    assert not is_commissioning({"status": "planned"}, {**paid, "measure_code": None})  # nothing for the ledger


def test_an_etag_names_the_version_and_a_stale_one_is_refused():
    obj = {"id": "site-001", "version": 3}
    assert version_in(etag(obj)) == 3 and version_in(f"W/{etag(obj)}") == 3
    assert version_in(None) is None and version_in("*") is None
    with pytest.raises(ValueError):
        version_in('"no-version"')
    check_version("site", obj, 3)
    check_version("site", obj, None)
    with pytest.raises(Stale) as stale:
        check_version("site", obj, 2)
    assert stale.value.field == "header.if-match" and "at version 3, not 2" in stale.value.detail


def test_a_monitoring_report_names_everything_wrong_with_it():
    report, wrong = read_report({"element_kind": "fibre_link", "element_id": "link-002", "state": "down"})
    assert wrong == [] and report.status == "failed" and report.element_kind == "fibre_link"
    assert changes_anything("active", report) and not changes_anything("failed", report)
    report, wrong = read_report({"element_kind": "router", "state": "sideways"})
    assert report is None and [f for f, _ in wrong] == ["element_kind", "state", "element_id"]
