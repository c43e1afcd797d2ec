"""CSV imports, national portal layout (windows-1251, ';'), through the API and the `ecity` CLI."""

from __future__ import annotations

from typer.testing import CliRunner

from ecity_cli.cli import app as ecity

HEADER = "REP_PERIOD;COD_BUDGET;COD_CONS_MB_PK;COD_CONS_MB_FK;COD_CONS_EK;FUND_TYP;ZAT_AMT;PLANS_AMT;FAKT_AMT;NAME_CONS_MB_PK\n"


def national(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode("cp1251")


GOOD = national(
    "2022-12;18201100000;0217520;0460;3110;2;30000000,00;30000000,00;1500000,00;Реалізація програми інформатизації",
    "2022-12;18201100000;0817520;0460;2240;1;2000000,00;2500000,50;0,00;Реалізація програми інформатизації",
)


async def _year(client, year):
    return (await client.get("/api/v1/reports/execution", params={"from_year": year, "to_year": year})).json()


async def test_a_national_portal_file_sets_plan_and_financing_and_a_second_import_changes_nothing(ledger):
    client = ledger
    answer = await client.post("/api/v1/imports", params={"batch_id": "oblfin-2022-12"}, content=GOOD,
                               headers={"content-type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"batch_id": "oblfin-2022-12", "lines": 2, "entries_posted": 3}
    report = await _year(client, 2022)
    assert report["total"]["planned_kop"] == 3_000_000_000 + 250_000_050
    assert report["total"]["financed_kop"] == 150_000_000
    again = await client.post("/api/v1/imports", params={"batch_id": "oblfin-2022-12"}, content=GOOD)
    assert again.json()["entries_posted"] == 0
    # A later file with a lower plan amends it down.
    lower = national("2022-12;18201100000;0217520;0460;3110;2;30000000,00;28000000,00;1500000,00;x")
    assert (await client.post("/api/v1/imports", params={"batch_id": "oblfin-2023-01"}, content=lower)).json()["entries_posted"] == 1
    assert (await _year(client, 2022))["holders"][0]["planned_kop"] == 2_800_000_000


async def test_every_bad_row_is_reported_and_nothing_is_imported(ledger):
    client = ledger
    bad = national(
        "2022-12;18201100000;0217520;0460;3110;2;1,00;1000,00;10,00;ok",
        "2022-12;18201100000;021752;0460;3110;2;1,00;1000,00;10,00;short КПКВКМБ",
        "2022-12;18201100000;0217520;0460;2299;2;1,00;1000,00;10,00;unknown КЕКВ",
        "грудень;18201100000;0217520;0460;3110;2;1,00;1000,00;10,00;no year",
        "2022-12;18201100000;0217520;0460;3110;2;1,00;10,001;10,00;three decimals",
        "2022-12;18201100000;0917520;0460;3110;2;1,00;1000,00;10,00;no such holder",
        "2022-12;18201100000;0217520;0460;3110;9;1,00;1000,00;10,00;fund 9",
    )
    answer = await client.post("/api/v1/imports", params={"batch_id": "bad"}, content=bad)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["rows[3].COD_CONS_MB_PK", "rows[4].COD_CONS_EK", "rows[5].REP_PERIOD", "rows[6].PLANS_AMT",
                      "rows[8].FUND_TYP"]
    assert (await _year(client, 2022))["total"]["planned_kop"] == 0

    # Rows that parse but do not fit the ledger are reported too, and roll the whole file back.
    unknown = national("2022-12;18201100000;0217520;0460;3110;2;1,00;1000,00;10,00;ok",
                       "2022-12;18201100000;0917520;0460;3110;2;1,00;1000,00;10,00;no such holder",
                       "2022-12;18201100000;0617520;0460;3110;1;1,00;1000,00;2000,00;financed beyond plan")
    answer = await client.post("/api/v1/imports", params={"batch_id": "bad2"}, content=unknown)
    assert [e["field"] for e in answer.json()["errors"]] == ["rows[3].COD_CONS_MB_PK", "rows[4].FAKT_AMT"]
    assert (await _year(client, 2022))["total"]["planned_kop"] == 0

    missing = await client.post("/api/v1/imports", params={"batch_id": "x"}, content="a;b\n1;2\n".encode("cp1251"))
    assert {e["field"] for e in missing.json()["errors"]} >= {"rows[1].COD_CONS_MB_PK", "rows[1].PLANS_AMT"}


async def test_the_cli_imports_with_a_progress_bar_and_prints_the_report(ledger, tmp_path, monkeypatch):
    client = ledger
    settings = client.settings
    monkeypatch.setenv("BUDGET_LEDGER_DATABASE_URL", settings.database_url)
    good, bad = tmp_path / "december.csv", tmp_path / "broken.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(national("2022-12;18201100000;0217520;0460;2299;2;1,00;1000,00;10,00;bad КЕКВ"))
    runner = CliRunner()
    refused = runner.invoke(ecity, ["budget", "import", str(bad)], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "nothing was imported" in refused.output and "COD_CONS_EK" in refused.output
    done = runner.invoke(ecity, ["budget", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "imported 2 line(s): 3 new entr(ies)" in done.output
    assert (await _year(client, 2022))["total"]["financed_kop"] == 150_000_000


async def test_an_amount_beyond_the_ledger_is_a_row_problem_not_a_500(ledger):
    """Decimal reads 'Infinity' and '1e999999' too: the first overflowed on its way to kopiykas (a
    500), the second built an integer of a million digits first (seconds of CPU) (issue 15)."""
    client = ledger
    amounts = ("Infinity", "1e999999", "1e1000000", "NaN", "10000000000000,01")
    bad = national(*(f"2022-12;18201100000;0217520;0460;3110;2;1,00;{a};10,00;x" for a in amounts))
    answer = await client.post("/api/v1/imports", params={"batch_id": "huge"}, content=bad)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [f"rows[{n}].PLANS_AMT" for n in range(2, 7)]
    assert [e["message"].split(" ", 1)[1] for e in errors] == [
        "is not an amount in hryvnias", "at most 10,000,000,000,000 hryvnias", "at most 10,000,000,000,000 hryvnias",
        "is not an amount in hryvnias", "at most 10,000,000,000,000 hryvnias"]
    # The ledger's ceiling itself is an amount.
    top = national("2022-12;18201100000;0217520;0460;3110;2;1,00;10000000000000,00;10,00;x")
    assert (await client.post("/api/v1/imports", params={"batch_id": "top"}, content=top)).status_code == 200


async def test_a_file_the_csv_reader_refuses_is_a_422_naming_the_file_not_a_500(ledger):
    client = ledger
    # What the API fuzzer sent (tests/test_fuzz.py): a bare \r inside the header line, which the
    # reader took for a new line inside an unquoted field and refused with an exception (500).
    fuzzed = await client.post("/api/v1/imports", params={"batch_id": "-kBl0", "layout": "plain"},
                               content="Û\rÿ\U0003ed2e".encode(), headers={"content-type": "text/csv"})
    assert fuzzed.status_code == 422, fuzzed.text
    assert {e["field"] for e in fuzzed.json()["errors"]} >= {"rows[1].year", "rows[1].planned_uah"}

    # A file from an old Mac (\r line ends) is read as lines, as Excel writes them.
    mac = await client.post("/api/v1/imports", params={"batch_id": "mac"}, content=GOOD.replace(b"\n", b"\r"))
    assert mac.status_code == 200 and mac.json()["lines"] == 2, mac.text

    # A NUL, a field past the reader's size limit (which it refuses outright), a quote never closed.
    problems = {}
    for name, body in {"nul": HEADER.encode("cp1251") + b"2022-12;\x00;0217520\n",
                       "huge-field": HEADER.encode("cp1251") + b'"' + b"9" * 200_000 + b'";1\n',
                       "open-quote": national('2022-12;18201100000;"0217520;0460;3110;2;1,00;1000,00;10,00;x')}.items():
        answer = await client.post("/api/v1/imports", params={"batch_id": name}, content=body)
        assert answer.status_code == 422, (name, answer.text)
        problems[name] = answer.json()["errors"]
    assert problems["huge-field"][0]["field"] == "rows[2].file" and "field larger than field limit" in problems["huge-field"][0]["message"]
