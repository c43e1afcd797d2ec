"""Hostile input, bounded (issue 15, item 3): an import is refused while it arrives once past
20 MiB, a line the csv module cannot read is a bad row and not a 500, and the public report and
charts are drawn once per version of the ledger, answered with an ETag (304 when unchanged)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from ecity_cli.testing import CountedUpload, until
from ecity_common.inputs import MAX_IMPORT_ROWS
from ecity_common.web.body_limits import CSV_IMPORT_BODY, MiB
from ecity_common.web.problems import MAX_ERRORS_LISTED

REPORT = {"from_year": 2020, "to_year": 2021}
LINE = b"2021;0817520;2240;1;0;0;0\n"  # a line of the national layout


async def test_an_import_of_too_many_rows_is_refused_and_its_report_is_bounded(ledger):
    """Every row wrong and one row too many: the row cap is named, and the answer lists the first
    problems with the total instead of a hundred thousand entries."""
    rows = b"year,kpkvkmb,kekv,fund,planned_uah,financed_uah\n" + b"no year,0817520,2240,general,1,1\n" * (MAX_IMPORT_ROWS + 1)
    assert len(rows) < CSV_IMPORT_BODY
    answer = await ledger.post("/api/v1/imports", params={"batch_id": "many", "layout": "plain"}, content=rows)
    assert answer.status_code == 422
    body = answer.json()
    assert body["errors_total"] == MAX_IMPORT_ROWS + 1 and len(body["errors"]) == MAX_ERRORS_LISTED
    assert body["errors"][0]["field"] == "rows[2].year"
    assert f"{MAX_IMPORT_ROWS + 1} problem(s)" in body["detail"]


def drawn(what: str) -> float:
    return REGISTRY.get_sample_value("ecity_renders_total", {"what": what}) or 0.0


async def test_an_import_past_20_mib_is_refused_while_it_arrives(ledger):
    client = ledger
    header = b"REP_PERIOD;COD_CONS_MB_PK;COD_CONS_EK;FUND_TYP;ZAT_AMT;PLANS_AMT;FAKT_AMT\n"
    upload = CountedUpload(header, count=10_000, size=MiB, filler=LINE)  # 10 GB, were it all read
    answer = await client.post("/api/v1/imports", params={"batch_id": "huge"}, content=upload)
    assert answer.status_code == 413 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["max_body_bytes"] == CSV_IMPORT_BODY and "20 MiB" in answer.json()["detail"]
    assert upload.pulled <= 22  # the header, 20 chunks of ~1 MiB, and the one that crossed the limit
    declared = CountedUpload(header, count=30, size=MiB, filler=LINE)
    said = await client.post("/api/v1/imports", params={"batch_id": "huge"}, content=declared,
                             headers={"Content-Length": str(30 * MiB)})
    assert said.status_code == 413 and declared.pulled == 0
    # Nothing was posted; a file under the limit still goes through the same route.
    fine = await client.post("/api/v1/imports", params={"batch_id": "small", "layout": "plain"},
                             content=b"year,kpkvkmb,kekv,fund,planned_uah,financed_uah\n")
    assert fine.status_code == 200 and fine.json()["entries_posted"] == 0


async def test_a_line_the_csv_module_cannot_read_is_a_bad_row_not_a_500(ledger):
    client = ledger
    long_field = b"year,kpkvkmb,kekv,fund,planned_uah,financed_uah\n2021,0817520,2240,general,1,1\n2021," + b"7" * 200_000 + b",2240,general,1,1\n"
    answer = await client.post("/api/v1/imports", params={"batch_id": "long", "layout": "plain"}, content=long_field)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "rows[3].file" and "field larger than field limit" in error["message"]


async def test_the_report_and_charts_are_drawn_once_per_version_of_the_ledger(ledger):
    client = ledger
    pdf = await client.get("/api/v1/reports/execution", params={**REPORT, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "public, no-cache" and pdf.headers["etag"].startswith('W/"')
    assert pdf.headers["content-disposition"] == 'inline; filename="execution-2020-2021.pdf"'
    tag, before = pdf.headers["etag"], drawn("execution.pdf")
    again = await client.get("/api/v1/reports/execution", params={**REPORT, "format": "pdf"})
    assert again.headers["etag"] == tag and again.content == pdf.content and drawn("execution.pdf") == before
    # A client that has this version: 304, nothing drawn or sent.
    kept = await client.get("/api/v1/reports/execution", params={**REPORT, "format": "pdf"}, headers={"If-None-Match": tag})
    assert kept.status_code == 304 and kept.content == b"" and kept.headers["etag"] == tag
    # Each format and each span is a drawing of its own.
    html = await client.get("/api/v1/reports/execution", params={**REPORT, "format": "html"})
    assert html.headers["content-type"] == "text/html; charset=utf-8" and html.headers["etag"] != tag
    chart = await client.get("/api/v1/reports/execution/chart.svg", params=REPORT)
    chart_tag, charts_before = chart.headers["etag"], drawn("execution-chart.svg")
    assert (await client.get("/api/v1/reports/execution/chart.svg", params=REPORT)).headers["etag"] == chart_tag
    assert drawn("execution-chart.svg") == charts_before

    # A posting is a new version: new ETags, drawn again, the old ETag no longer 304.
    posted = await client.post("/api/v1/entries", json={
        "entry_id": "fin-bounds-1", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
        "fund": "general", "kekv": "2240", "amount_kop": 100_000, "entry_date": "2021-12-01", "document_ref": "розп. № 9"})
    assert posted.status_code == 201
    stale = await client.get("/api/v1/reports/execution", params={**REPORT, "format": "pdf"}, headers={"If-None-Match": tag})
    assert stale.status_code == 200 and stale.headers["etag"] != tag and drawn("execution.pdf") == before + 1
    newer_chart = await client.get("/api/v1/reports/execution/chart.svg", params=REPORT, headers={"If-None-Match": chart_tag})
    assert newer_chart.status_code == 200 and newer_chart.headers["etag"] != chart_tag
    assert drawn("execution-chart.svg") == charts_before + 1
    # The JSON report is not cached: it is always the ledger as it is.
    total = (await client.get("/api/v1/reports/execution", params={"from_year": 2021, "to_year": 2021})).json()["total"]
    assert total["financed_kop"] == 823_666_000 + 100_000


async def test_the_open_data_is_made_once_per_version_of_the_ledger_and_its_heads(ledger):
    client = ledger
    # The service signs its head once at start (by itself, a moment after): wait for it.
    await until(lambda: _heads(client), timeout_s=30)
    first = await client.get("/api/v1/open-data/fiscal-data-package.zip")
    assert first.status_code == 200 and first.headers["content-type"] == "application/zip"
    assert first.headers["content-disposition"] == 'attachment; filename="sumy-ecity-programme-execution.zip"'
    tag, made = first.headers["etag"], drawn("fiscal-data-package.zip")
    assert (await client.get("/api/v1/open-data/fiscal-data-package.zip")).content == first.content
    assert drawn("fiscal-data-package.zip") == made
    kept = await client.get("/api/v1/open-data/fiscal-data-package.zip", headers={"If-None-Match": tag})
    assert kept.status_code == 304
    csv_tag = (await client.get("/api/v1/open-data/execution.csv")).headers["etag"]
    # A signed head is in the ZIP, not in the CSV.
    assert (await client.post("/api/v1/ledger/heads")).status_code == 201
    signed = await client.get("/api/v1/open-data/fiscal-data-package.zip", headers={"If-None-Match": tag})
    assert signed.status_code == 200 and drawn("fiscal-data-package.zip") == made + 1
    assert (await client.get("/api/v1/open-data/execution.csv", headers={"If-None-Match": csv_tag})).status_code == 304
    # A posting is in both.
    posted = await client.post("/api/v1/entries", json={
        "entry_id": "fin-open-data-1", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
        "fund": "general", "kekv": "2240", "amount_kop": 100_000, "entry_date": "2021-12-01", "document_ref": "розп. № 10"})
    assert posted.status_code == 201
    csv_after = await client.get("/api/v1/open-data/execution.csv", headers={"If-None-Match": csv_tag})
    assert csv_after.status_code == 200 and csv_after.headers["etag"] != csv_tag
    zip_after = await client.get("/api/v1/open-data/fiscal-data-package.zip", headers={"If-None-Match": signed.headers["etag"]})
    assert zip_after.status_code == 200 and "fin-open-data-1" in _entries(zip_after.content)


async def _heads(client) -> list[dict]:
    return (await client.get("/api/v1/open-data/ledger/heads.json")).json()


def _entries(archive: bytes) -> str:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(archive)).read("ledger/entries.jsonl").decode()
