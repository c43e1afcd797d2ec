"""The ledger through its API and its database: the source's figures, the rules, append-only."""

from __future__ import annotations

import csv
import io

import asyncpg
import pytest

from ecity_cli.testing import bearer
from ecity_common.doorbell import libpq_dsn


async def test_the_demo_data_gives_exactly_the_figures_of_the_source(ledger):
    client = ledger
    for (start, end), planned, financed, share in [
        ((2021, 2021), "43 545,36 тис. грн", "8 236,66 тис. грн", "18,92 %"),
        ((2020, 2021), "81 705,20 тис. грн", "14 929,02 тис. грн", "18,27 %"),
        ((2020, 2020), "38 159,84 тис. грн", "6 692,36 тис. грн", "17,54 %"),
    ]:
        report = (await client.get("/api/v1/reports/execution", params={"from_year": start, "to_year": end})).json()
        assert (report["total"]["planned"], report["total"]["financed"], report["total"]["share"]) == (planned, financed, share)
        # Per holder and per measure add up to the programme.
        assert sum(h["planned_kop"] for h in report["holders"]) == report["total"]["planned_kop"]
        assert sum(m["financed_kop"] for h in report["holders"] for m in h["measures"]) == report["total"]["financed_kop"]
        assert report["illustrative_split"] is True
    one_year = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()
    names = [h["name_uk"] for h in one_year["holders"]]
    assert names[0] == "Виконавчий комітет Сумської міської ради" and one_year["holders"][0]["is_main"]
    assert "Департамент інфраструктури міста СМР" not in names  # it appears only in 2020
    both = (await client.get("/api/v1/reports/execution", params={"from_year": 2020, "to_year": 2021})).json()
    assert "Департамент інфраструктури міста СМР" in [h["name_uk"] for h in both["holders"]]
    assert [y["share"] for y in both["by_year"]] == ["17,54 %", "18,92 %"]


async def test_csv_and_html_reports(ledger):
    client = ledger
    answer = await client.get("/api/v1/reports/execution", params={"from_year": 2020, "to_year": 2021, "format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    total = rows[-1]
    assert (total["planned_thousand_uah"], total["financed_thousand_uah"], total["share_percent"]) == ("81705.20", "14929.02", "18.27")
    assert total["planned_kop"] == "8170520000"
    measure_rows = [r for r in rows if r["measure_code"]]
    assert sum(int(r["financed_kop"]) for r in measure_rows) == 1_492_902_000

    html = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021, "format": "html"})).text
    assert "43\u00a0545,36\u00a0тис.\u00a0грн" in html and "8\u00a0236,66\u00a0тис.\u00a0грн" in html and "18,92\u00a0%" in html
    assert "ілюстративний" in html and "головний розпорядник коштів" in html


def _entry(entry_id: str, kind: str = "financing", amount: int = 100_000, **extra) -> dict:
    return {"entry_id": entry_id, "kind": kind, "holder_code": "08", "measure_code": "08-1", "year": 2021,
            "fund": "general", "kekv": "2240", "amount_kop": amount, "entry_date": "2021-12-01",
            "document_ref": "розпорядження № 1", **extra}


async def test_posting_is_idempotent_by_entry_id(ledger):
    client = ledger
    first = await client.post("/api/v1/entries", json=_entry("fin-2021-12-01"))
    assert first.status_code == 201
    again = await client.post("/api/v1/entries", json=_entry("fin-2021-12-01"))
    assert again.status_code == 200 and again.json() == first.json()
    other = await client.post("/api/v1/entries", json=_entry("fin-2021-12-01", amount=200_000))
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "entry_id"


async def test_financing_beyond_the_plan_needs_an_override_with_a_reason(ledger):
    client = ledger
    # 08-1 in 2021: planned 3 200,00, financed 600,00 thousand UAH; 2 600,00 are left.
    left = 320_000_000 - 60_000_000
    over = await client.post("/api/v1/entries", json=_entry("fin-over", amount=left + 1))
    assert over.status_code == 409 and over.json()["errors"][0]["field"] == "amount_kop"
    assert "override_reason" in over.json()["detail"]
    exact = await client.post("/api/v1/entries", json=_entry("fin-exact", amount=left))
    assert exact.status_code == 201
    forced = await client.post("/api/v1/entries", json=_entry("fin-forced", amount=1, override_reason="рішення сесії № 7"))
    assert forced.status_code == 201 and forced.json()["override_reason"] == "рішення сесії № 7"


async def test_a_reversal_nets_to_zero_and_is_applied_at_most_once(ledger):
    client = ledger
    before = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()["total"]
    await client.post("/api/v1/entries", json=_entry("fin-mistake", amount=5_000_000))
    reversal = {"entry_id": "rev-mistake", "kind": "reversal", "reverses": "fin-mistake", "entry_date": "2021-12-02",
                "document_ref": "виправлення помилки"}
    undone = await client.post("/api/v1/entries", json=reversal)
    assert undone.status_code == 201 and undone.json()["financed_delta_kop"] == -5_000_000
    after = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()["total"]
    assert after["financed_kop"] == before["financed_kop"]
    twice = await client.post("/api/v1/entries", json={**reversal, "entry_id": "rev-mistake-2"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "reverses"
    of_reversal = await client.post("/api/v1/entries", json={**reversal, "entry_id": "rev-rev", "reverses": "rev-mistake"})
    assert of_reversal.status_code == 422 and of_reversal.json()["errors"][0]["field"] == "reverses"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kekv": "2299"}, "kekv"),
        ({"kekv": "22400"}, "kekv"),
        ({"holder_code": "8"}, "holder_code"),
        ({"measure_code": "99-9"}, "measure_code"),
        ({"holder_code": "02"}, "holder_code"),  # 08-1 is not the executive committee's
        ({"amount_kop": 0}, "amount_kop"),
        ({"amount_kop": 12.5}, "amount_kop"),
        ({"kind": "amendment"}, "direction"),
        ({"direction": "increase"}, "direction"),
        ({"entry_date": "2021-13-01"}, "entry_date"),
        ({"measure_code": None}, "measure_code"),
    ],
)
async def test_bad_entries_name_the_field(ledger, change, field):
    client = ledger
    answer = await client.post("/api/v1/entries", json={**_entry("bad"), **change})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]]


async def test_only_finance_posts_and_anyone_reads_reports(ledger):
    client = ledger
    settings = client.settings
    citizen = bearer(settings, "c-1", "citizen")
    assert (await client.post("/api/v1/entries", json=_entry("x"), headers=citizen)).status_code == 403
    anonymous = await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021},
                                 headers={"Authorization": ""})
    assert anonymous.status_code == 200
    assert (await client.get("/api/v1/programme", headers={"Authorization": ""})).json()["programme"]["start_year"] == 2020


async def test_the_database_refuses_update_and_delete_and_verify_names_a_tampered_entry(ledger):
    client = ledger
    settings = client.settings
    verified = (await client.get("/api/v1/ledger/verify", headers={"Authorization": ""})).json()  # public
    assert (verified["intact"], verified["entries_checked"], verified["first_broken_entry"]) == (True, 20, None)
    # Not even the owner of the tables changes an entry while the triggers stand.
    conn = await asyncpg.connect(libpq_dsn(settings.migration_database_url))
    try:
        for sql in ("UPDATE ledger_entries SET amount_kop = 1 WHERE seq = 3", "DELETE FROM ledger_entries WHERE seq = 20",
                    "TRUNCATE ledger_entries CASCADE"):
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(sql)
        # The owner drops the guard and edits history: the chain tells which entry.
        await conn.execute("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_or_delete")
        await conn.execute("UPDATE ledger_entries SET content = jsonb_set(content, '{amount_kop}', '1') WHERE seq = 7")
        tampered = await conn.fetchval("SELECT entry_id FROM ledger_entries WHERE seq = 7")
    finally:
        await conn.close()
    check = (await client.get("/api/v1/ledger/verify")).json()
    assert (check["intact"], check["entries_checked"], check["first_broken_entry"]) == (False, 6, tampered)
    assert check["problem"] == "the hash does not match the row"


async def test_holders_and_measures_are_added_with_their_codes_checked(ledger):
    client = ledger
    holder = {"code": "10", "name_uk": "Департамент забезпечення ресурсних платежів СМР", "name_en": "Resource payments",
              "kpkvkmb": "1017520", "edrpou": "32855961"}
    assert (await client.post("/api/v1/budget-holders", json=holder)).status_code == 201
    assert (await client.post("/api/v1/budget-holders", json=holder)).status_code == 200  # the same again
    changed = await client.post("/api/v1/budget-holders", json={**holder, "name_en": "other"})
    assert changed.status_code == 409 and changed.json()["errors"][0]["field"] == "code"
    for bad, field, rule in [
        ({"edrpou": "32855962"}, "edrpou", "check digit"),
        ({"kpkvkmb": "0217520"}, "kpkvkmb", "must start with the holder's code 11"),
        ({"kpkvkmb": "101752"}, "kpkvkmb", "7 digits"),
        ({"code": "1"}, "holder_code", "2 digits"),
    ]:
        answer = await client.post("/api/v1/budget-holders", json={**holder, "code": "11", "kpkvkmb": "1117520", **bad})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field and rule in answer.json()["errors"][0]["message"]

    measure = {"code": "10-1", "number": "1", "name_uk": "Захід", "name_en": "Measure", "holder_code": "10",
               "tpkvkmb": "7520", "kfkvk": "0460", "kekv": "2240", "fund": "general"}
    assert (await client.post("/api/v1/measures", json=measure)).status_code == 201
    for bad, field in [({"tpkvkmb": "7530"}, "tpkvkmb"), ({"kfkvk": "46"}, "kfkvk"), ({"kekv": "2299"}, "kekv"),
                       ({"holder_code": "77"}, "holder_code")]:
        answer = await client.post("/api/v1/measures", json={**measure, "code": "10-2", **bad})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
    # The new measure takes entries at once.
    entry = {**_entry("fin-10-1"), "holder_code": "10", "measure_code": "10-1", "kind": "appropriation"}
    assert (await client.post("/api/v1/entries", json=entry)).status_code == 201
