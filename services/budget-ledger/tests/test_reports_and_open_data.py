"""Charts, the open-data package and the execution alerts, through the API."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

from sqlalchemy import select

from ecity_common.events import CloudEvent


async def test_charts_in_svg_and_png_and_in_the_html_report(ledger):
    client = ledger
    svg = await client.get("/api/v1/reports/execution/chart.svg", params={"from_year": 2020, "to_year": 2021})
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "<svg" in svg.text and "Передбачено" in svg.text
    png = await client.get("/api/v1/reports/execution/chart.png", params={"from_year": 2020, "to_year": 2021, "by": "year"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    html = (await client.get("/api/v1/reports/execution", params={"from_year": 2020, "to_year": 2021, "format": "html"})).text
    assert html.count("<svg") == 2  # per holder and per year
    bad = await client.get("/api/v1/reports/execution/chart.gif", params={"from_year": 2020, "to_year": 2021})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    backwards = await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2020})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "query.to_year"


async def test_the_fiscal_data_package_adds_up_to_the_report(ledger):
    client = ledger
    package = (await client.get("/api/v1/open-data/datapackage.json")).json()
    assert package["profile"] == "fiscal-data-package"
    assert {m["phase"] for m in package["model"]["measures"].values()} == {"approved", "adjusted", "executed"}
    dims = package["model"]["dimensions"]
    assert {dims[d]["classificationType"] for d in ("administrative", "functional", "economic")} == {
        "administrative", "functional", "economic"}
    fields = [f["name"] for f in package["resources"][0]["schema"]["fields"]]

    archive = zipfile.ZipFile(io.BytesIO((await client.get("/api/v1/open-data/fiscal-data-package.zip")).content))
    assert json.loads(archive.read("datapackage.json")) == package
    rows = list(csv.DictReader(io.StringIO(archive.read("execution.csv").decode())))
    assert list(rows[0]) == fields
    # Every source/field the model names exists in the data.
    sources = {m["source"] for m in package["model"]["measures"].values()}
    sources |= {a["source"] for d in dims.values() for a in d["attributes"].values()}
    assert sources <= set(fields)
    in_2021 = [r for r in rows if r["year"] == "2021"]
    assert sum(Decimal(r["adjusted"]) for r in in_2021) == Decimal("43545360.00")
    assert sum(Decimal(r["executed"]) for r in in_2021) == Decimal("8236660.00")
    # The 2021 plan of measure 02-1 was 27 000,00 adopted, then amended down by 2 000,00.
    measure = next(r for r in in_2021 if r["measure_code"] == "02-1")
    assert (measure["approved"], measure["adjusted"]) == ("27000000.00", "25000000.00")


async def test_alerts_when_financing_reaches_the_plan_and_when_a_year_closes_under_the_share(ledger):
    client = ledger
    app = client.app
    # 06-1 in 2021: planned 3 000,00, financed 600,00 thousand UAH: financing the rest reaches the plan.
    rest = {"entry_id": "fin-06-1-rest", "kind": "financing", "holder_code": "06", "measure_code": "06-1", "year": 2021,
            "fund": "general", "kekv": "3110", "amount_kop": 240_000_000, "entry_date": "2021-12-20", "document_ref": "р. 9"}
    assert (await client.post("/api/v1/entries", json=rest)).status_code == 201
    closed = (await client.post("/api/v1/years/2020/close")).json()
    assert closed["share_percent"] == "17.54" and closed["alert_raised"] is True
    again = (await client.post("/api/v1/years/2020/close")).json()
    assert again["already_closed"] is True and again["alert_raised"] is False

    outbox = app.state.outbox._table  # noqa: SLF001 - read what the service staged for Kafka
    async with app.state.engine.connect() as conn:
        staged = [CloudEvent.model_validate(p) for p in (await conn.execute(select(outbox.c.payload).order_by(outbox.c.id))).scalars()]
    alerts = [e.data for e in staged if e.type == "ua.sumy.ecity.budget-ledger.execution-alert.raised.v1"]
    assert [a["alert"] for a in alerts] == ["financing_reached_plan", "year_closed_under_share"]
    assert alerts[0]["measure_code"] == "06-1" and alerts[0]["share_percent"] == "100.00"
    assert alerts[1]["year"] == 2020 and alerts[1]["threshold_percent"] == "50.00"


async def test_the_pdf_report(ledger):
    client = ledger
    answer = await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021, "format": "pdf"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    from pypdf import PdfReader

    raw = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    text = " ".join(raw.replace("\u00a0", " ").split())  # justified lines space words out
    assert "43 545,36 тис. грн" in text and "8 236,66 тис. грн" in text and "18,92 %" in text
    assert "Виконавчий комітет Сумської міської ради" in text and "ілюстративний" in text


async def test_no_cell_of_a_downloaded_csv_is_a_formula_and_negative_amounts_stay_numbers(ledger):
    """A name that a spreadsheet would run ('=HYPERLINK(…)', '@SUM(…)', '+…', '-…') is written with
    a quote in front in the report's CSV and in the Fiscal Data Package's; an amount, negative
    too, is written as the number it is (issue 15)."""
    client = ledger
    holder = {"code": "10", "name_uk": '=HYPERLINK("http://example.org/x","Звіт")', "name_en": "@SUM(1+1)",
              "kpkvkmb": "1017520", "edrpou": "32855961"}
    assert (await client.post("/api/v1/budget-holders", json=holder)).status_code == 201
    measure = {"code": "10-1", "number": "+1", "name_uk": "-2+3+cmd|' /C calc'!A0", "name_en": "Measure", "holder_code": "10",
               "tpkvkmb": "7520", "kfkvk": "0460", "kekv": "2240", "fund": "general"}
    assert (await client.post("/api/v1/measures", json=measure)).status_code == 201
    decrease = {"entry_id": "amend-10-1", "kind": "amendment", "direction": "decrease", "holder_code": "10",
                "measure_code": "10-1", "year": 2021, "fund": "general", "kekv": "2240", "amount_kop": 150_000,
                "entry_date": "2021-12-01", "document_ref": "рішення № 1"}
    assert (await client.post("/api/v1/entries", json=decrease)).status_code == 201, "the plan of 10-1 is now -1 500,00"

    text = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021, "format": "csv"})).text
    report = [r for r in csv.DictReader(io.StringIO(text)) if r["holder_code"] == "10"]
    measure_row, holder_row = report
    assert measure_row["holder_name"] == holder_row["holder_name"] == "'" + holder["name_uk"]
    assert (measure_row["measure_name"], measure_row["measure_number"]) == ("'" + measure["name_uk"], "'+1")
    assert (measure_row["planned_kop"], measure_row["planned_thousand_uah"]) == ("-150000", "-1.50")

    archive = zipfile.ZipFile(io.BytesIO((await client.get("/api/v1/open-data/fiscal-data-package.zip")).content))
    [row] = [r for r in csv.DictReader(io.StringIO(archive.read("execution.csv").decode())) if r["admin_code"] == "1017520"]
    assert (row["admin_label"], row["measure_label"]) == ("'" + holder["name_uk"], "'" + measure["name_uk"])
    assert (row["approved"], row["adjusted"], row["executed"]) == ("0.00", "-1500.00", "0.00")
    assert (await client.get("/api/v1/open-data/execution.csv")).text == archive.read("execution.csv").decode()


async def test_the_chart_is_well_formed_svg_whatever_a_holder_is_called(ledger):
    """A holder's name is text in the chart's SVG; a control character in it made a picture no XML
    parser reads. Written straight into the database, so that the guard at the output is tested on
    its own, whatever the input checks refuse (issue 15)."""
    import xml.etree.ElementTree as ET

    import asyncpg

    from ecity_common.doorbell import libpq_dsn

    client = ledger
    # As the owner: the service's own role adds holders but never changes one.
    conn = await asyncpg.connect(libpq_dsn(client.settings.migration_database_url))
    try:
        await conn.execute("UPDATE budget_holders SET name_uk = $1 WHERE code = '02'", "Виконавчий\x01\x0b комітет\x1f\uffff")
    finally:
        await conn.close()
    svg = await client.get("/api/v1/reports/execution/chart.svg", params={"from_year": 2021, "to_year": 2021, "by": "holder"})
    assert svg.status_code == 200
    ET.fromstring(svg.content)  # expat: any character XML forbids is a ParseError
    assert "Виконавчий\ufffd\ufffd" in svg.text
