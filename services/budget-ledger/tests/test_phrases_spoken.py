"""The ledger's refusals in the caller's language (issue 21): in Ukrainian when Accept-Language asks
for it, every word of them (Content-Language: uk, not "uk, en"), and in English exactly as before."""

from __future__ import annotations

import re

from ecity_common.phrases import ENGLISH, UKRAINIAN

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en"}
CYRILLIC_WORD = re.compile(r"\b(?:[а-яіїєґ']{3,})\b", re.IGNORECASE)


def said(answer, language: str) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language, answer.json()
    return answer.json()


def _entry(entry_id: str, **extra) -> dict:
    return {"entry_id": entry_id, "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
            "fund": "general", "kekv": "2240", "amount_kop": 100_000, "entry_date": "2021-12-01",
            "document_ref": "розпорядження № 1", **extra}


async def test_a_refused_entry_is_said_in_ukrainian_or_in_english_as_before(ledger):
    over = _entry("fin-over", amount_kop=320_000_000)
    uk = said(await ledger.post("/api/v1/entries", json=over, headers=UK), UKRAINIAN)
    en = said(await ledger.post("/api/v1/entries", json=over, headers=EN), ENGLISH)
    assert uk["detail"] == ("фінансування 380000000 коп. перевищило б план 320000000 коп. для заходу 08-1 у 2021 "
                            "році; щоб провести його попри це, зазначте override_reason")
    assert en["detail"] == ("financing 380000000 kop would exceed the plan of 320000000 kop for measure 08-1 in 2021; "
                            "give override_reason to post it anyway")
    assert uk["errors"] == [{"field": "amount_kop", "message": uk["detail"]}]

    nowhere = _entry("fin-nowhere", measure_code="99-9")
    uk = said(await ledger.post("/api/v1/entries", json=nowhere, headers=UK), UKRAINIAN)
    assert uk["errors"][0]["message"] == "у програмі немає заходу '99-9'"
    en = said(await ledger.post("/api/v1/entries", json=nowhere, headers=EN), ENGLISH)
    assert en["errors"][0]["message"] == "no measure '99-9' in the programme"

    # A budget code is checked as the body is parsed: the validator's refusal keeps its words.
    code = said(await ledger.post("/api/v1/entries", json=_entry("fin-kekv", kekv="9999"), headers=UK), UKRAINIAN)
    assert code["errors"][0]["field"] == "kekv"
    assert code["errors"][0]["message"] == "КЕКВ 9999 немає в економічній класифікації видатків"

    # An HTTP edge's own problem, with every missing field listed.
    half = {"entry_id": "fin-half", "kind": "financing", "entry_date": "2021-12-01", "document_ref": "№ 2"}
    uk = said(await ledger.post("/api/v1/entries", json=half, headers=UK), UKRAINIAN)
    assert uk["detail"].startswith("обов'язкові для виду financing: holder_code, measure_code")
    assert {e["message"] for e in uk["errors"]} == {"обов'язкове поле"}
    en = said(await ledger.post("/api/v1/entries", json=half, headers=EN), ENGLISH)
    assert en["detail"].startswith("required for a financing: holder_code, measure_code")


async def test_an_import_s_rows_are_said_in_ukrainian(ledger):
    bad = ("REP_PERIOD;COD_BUDGET;COD_CONS_MB_PK;COD_CONS_MB_FK;COD_CONS_EK;FUND_TYP;ZAT_AMT;PLANS_AMT;FAKT_AMT\n"
           "грудень;18201100000;0217520;0460;3110;9;1,00;10,001;10,00\n").encode("cp1251")
    uk = said(await ledger.post("/api/v1/imports", params={"batch_id": "uk"}, content=bad, headers=UK), UKRAINIAN)
    assert uk["detail"] == "помилок: 3; нічого не імпортовано"
    assert [e["message"] for e in uk["errors"]] == [
        "'грудень': у ньому немає року (наприклад, 2021-12 або 01.12.2021)",
        "'9': загальний/спеціальний (general/special, 1/2)",
        "'10,001': невід'ємна сума, не більше двох знаків після коми",
    ]
    en = said(await ledger.post("/api/v1/imports", params={"batch_id": "en"}, content=bad, headers=EN), ENGLISH)
    assert en["detail"] == "3 problem(s); nothing was imported"
    assert en["errors"][0]["message"] == "'грудень': no year in it (e.g. 2021-12 or 01.12.2021)"
    assert all(CYRILLIC_WORD.search(e["message"]) for e in uk["errors"])
