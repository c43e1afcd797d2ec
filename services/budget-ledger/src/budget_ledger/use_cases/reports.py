"""What the public reads: the programme's execution report (JSON, CSV, HTML, PDF, charts) and
the ledger as open data (a Fiscal Data Package, with every entry, the signed heads and the keys)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import charts, open_data, pdf, queries, report_files
from budget_ledger.adapters.signing import TrustedKeys
from budget_ledger.domain.phrases import Phrase
from budget_ledger.domain.report import ExecutionReport, build
from ecity_common.refusals import Invalid


def check_span(from_year: int, to_year: int) -> None:
    if to_year < from_year:
        raise Invalid("query.to_year", Phrase("to-year-before-from"))


async def entries_version(session: AsyncSession) -> tuple[int, str]:
    """Which state of the ledger a report or the open data shows: the chain's head. Only an entry
    changes a report (the balances are the entries' projection, a holder or a measure shows only
    with a balance, and the programme is written once, at start); postings commit in sequence
    order (one chain, one writer at a time), so a head read names one set of entries. Its last hash
    too, so that a rewritten history shows at once, even one that kept the count (a reader must
    see it to catch it)."""
    return await queries.chain_head(session)


async def open_data_version(session: AsyncSession) -> tuple:
    """The entries' version and the newest signed head: the ZIP carries the heads, and a day's
    signing adds one without an entry."""
    newest = await queries.heads(session, limit=1)
    return *(await entries_version(session)), (newest[0].head.entries, newest[0].head.signed_at) if newest else None


async def execution_report(session: AsyncSession, from_year: int, to_year: int) -> ExecutionReport:
    check_span(from_year, to_year)
    programme, rows = await queries.report_rows(session, from_year, to_year)
    return build(programme, from_year, to_year, rows)


async def printed(report: ExecutionReport, fmt: Literal["csv", "html", "pdf"]) -> str | bytes:
    """The report for a spreadsheet, a person or the archive; the HTML and PDF off the event loop
    (their charts are CPU work)."""
    if fmt == "csv":
        return report_files.to_csv(report)
    if fmt == "html":
        return await asyncio.to_thread(report_files.to_html, report)
    return await asyncio.to_thread(pdf.to_pdf, report)


async def printed_report(session: AsyncSession, from_year: int, to_year: int, fmt: Literal["csv", "html", "pdf"]) -> bytes:
    document = await printed(await execution_report(session, from_year, to_year), fmt)
    return document.encode() if isinstance(document, str) else document


async def execution_chart(session: AsyncSession, from_year: int, to_year: int, by: str, fmt: str) -> bytes:
    report = await execution_report(session, from_year, to_year)
    return await asyncio.to_thread(charts.execution_chart, report, by, fmt)


async def fiscal_data_package(session: AsyncSession) -> tuple[dict, str]:
    return await open_data.fiscal_data_package(session)


def ledger_entries(session: AsyncSession) -> AsyncIterator[str]:
    return open_data.entry_lines(session)


async def signed_heads(session: AsyncSession) -> list[dict]:
    return [h.as_published() for h in await queries.heads(session)]


async def fiscal_data_zip(session: AsyncSession, trusted: TrustedKeys) -> bytes:
    """Everything in one file: the package, the ledger, its signed heads and the keys that signed them."""
    heads = await signed_heads(session)  # first: every head then counts entries the file will hold
    package, text = await open_data.fiscal_data_package(session)
    entries = "".join([lines async for lines in open_data.entry_lines(session)])
    return open_data.as_zip(package, text, entries, heads, trusted.published())
