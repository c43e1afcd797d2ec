"""Hostile input is refused, never a 500 (issue 15): a NUL or another control character in a body,
a query or a path; numbers past their column. Each answer is a 422 problem naming the field."""

from __future__ import annotations

HUGE = str(2**64)
MEASURE = {"code": "10-1", "number": "1", "name_uk": "Захід", "name_en": "Measure", "holder_code": "08",
           "tpkvkmb": "7520", "kfkvk": "0460", "kekv": "2240", "fund": "general"}
ENTRY = {"entry_id": "fin-h-1", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
         "fund": "general", "kekv": "2240", "amount_kop": 100_000, "entry_date": "2021-12-01",
         "document_ref": "розпорядження № 1"}


def refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_a_measure_with_a_nul_in_any_field_is_refused_naming_it(ledger):
    """The holder's code went to the database before any rule read it: a NUL there was a 500."""
    for field in ("holder_code", "code", "number", "name_uk", "name_en", "tpkvkmb", "kfkvk", "kekv"):
        refused(await ledger.post("/api/v1/measures", json={**MEASURE, field: MEASURE[field] + "\x00"}), field)


async def test_a_holder_with_a_control_character_is_refused(ledger):
    holder = {"code": "10", "name_uk": "Департамент", "name_en": "Department", "kpkvkmb": "1017520", "edrpou": "32855961"}
    for field, value in (("name_uk", "Департамент\x00"), ("code", "10\n"), ("edrpou", "32855961\x7f")):
        refused(await ledger.post("/api/v1/budget-holders", json={**holder, field: value}), field)


async def test_an_entry_with_a_control_character_or_a_number_past_its_column_is_refused(ledger):
    for field, value in (("document_ref", "розпорядження\x00"), ("measure_code", "08-1\x00"), ("reverses", "x\x00"),
                         ("override_reason", "\x1b[31m"), ("holder_code", "08\n"), ("kekv", "2240\n"),
                         ("amount_kop", 2**64), ("year", 2**40)):
        refused(await ledger.post("/api/v1/entries", json={**ENTRY, field: value}), field)
    refused(await ledger.get("/api/v1/entries/e%00"), "path.entry_id")
    refused(await ledger.post(f"/api/v1/years/{HUGE}/close"), "path.year")
    # A reason may run over lines.
    multiline = await ledger.post("/api/v1/entries", json={**ENTRY, "override_reason": "Рішення сесії\nвід 01.12.2021"})
    assert multiline.status_code == 201, multiline.text


async def test_reports_and_imports_refuse_numbers_and_text_no_column_holds(ledger):
    refused(await ledger.get("/api/v1/reports/execution", params={"from_year": HUGE, "to_year": 2021}), "query.from_year")
    refused(await ledger.get("/api/v1/reports/execution/chart.svg", params={"from_year": 2021, "to_year": HUGE}),
            "query.to_year")
    refused(await ledger.post("/api/v1/imports", params={"batch_id": "b-1", "override_reason": "x\x00"},
                              content=b"year,kpkvkmb,kekv,fund,planned_uah,financed_uah\n",
                              headers={"content-type": "text/csv"}), "query.override_reason")
