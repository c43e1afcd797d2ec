"""Open data: the ledger as a Frictionless Fiscal Data Package (datapackage.json + CSV), and the
ledger itself, so that anyone can check the figures.

`execution.csv`: one row per year × budget holder × measure, with three measures of the same money
in three phases: `approved` (the appropriations as first adopted), `adjusted` (the plan after
amendments) and `executed` (actually financed). Classifications: administrative = the budget
holder (its КПКВКМБ), functional = КФКВК, economic = КЕКВ. Amounts in hryvnias with two decimals.

`ledger/entries.jsonl`: every entry, one JSON object a line, exactly the row the hash chain covers
(domain/chain.py); `ledger/heads.json`: the signed heads of the chain; `ledger/public-keys.json`:
the keys that signed them (domain/anchor.py). Keep a head: a history changed before it will not
lead to it again.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.queries import published_entries
from budget_ledger.adapters.tables import budget_holders, ledger_entries, measures, programmes
from ecity_common.outputs import SpreadsheetSafeWriter

ENTRIES, HEADS, KEYS = "ledger/entries.jsonl", "ledger/heads.json", "ledger/public-keys.json"

COLUMNS = [
    ("year", "year", "Бюджетний рік"),
    ("admin_code", "string", "КПКВКМБ розпорядника"),
    ("admin_label", "string", "Розпорядник коштів"),
    ("programme_code", "string", "ТПКВКМБ"),
    ("measure_code", "string", "Код заходу"),
    ("measure_label", "string", "Захід"),
    ("functional_code", "string", "КФКВК"),
    ("economic_code", "string", "КЕКВ"),
    ("fund", "string", "Фонд (general — загальний, special — спеціальний)"),
    ("approved", "number", "Затверджено, грн"),
    ("adjusted", "number", "Передбачено з урахуванням змін, грн"),
    ("executed", "number", "Фактично профінансовано, грн"),
]


async def rows(session: AsyncSession) -> list[dict]:
    """One row per year, holder and measure; the phases summed in SQL as `domain.report.fiscal_phases`
    says (tests/test_sql_mirrors_rules.py checks both agree)."""
    original = ledger_entries.alias("original")
    kind = case((ledger_entries.c.kind == "reversal", original.c.kind), else_=ledger_entries.c.kind)
    query = (
        select(
            ledger_entries.c.year, budget_holders.c.kpkvkmb, budget_holders.c.name_uk.label("holder_name"),
            measures.c.tpkvkmb, measures.c.code, measures.c.name_uk, measures.c.kfkvk, measures.c.kekv, measures.c.fund,
            func.sum(case((kind == "appropriation", ledger_entries.c.plan_delta_kop), else_=0)).label("approved"),
            func.sum(ledger_entries.c.plan_delta_kop).label("adjusted"),
            func.sum(ledger_entries.c.financed_delta_kop).label("executed"),
        )
        .select_from(ledger_entries)
        .outerjoin(original, original.c.entry_id == ledger_entries.c.reverses)
        .join(measures, measures.c.code == ledger_entries.c.measure_code)
        .join(budget_holders, budget_holders.c.code == measures.c.holder_code)
        .group_by(ledger_entries.c.year, budget_holders.c.kpkvkmb, budget_holders.c.name_uk, measures.c.tpkvkmb,
                  measures.c.code, measures.c.name_uk, measures.c.kfkvk, measures.c.kekv, measures.c.fund)
        .order_by(ledger_entries.c.year, budget_holders.c.kpkvkmb, measures.c.code)
    )

    def uah(kop) -> str:
        return str((Decimal(int(kop)) / 100).quantize(Decimal("0.01")))

    return [
        {"year": r.year, "admin_code": r.kpkvkmb, "admin_label": r.holder_name, "programme_code": r.tpkvkmb,
         "measure_code": r.code, "measure_label": r.name_uk, "functional_code": r.kfkvk, "economic_code": r.kekv,
         "fund": r.fund, "approved": uah(r.approved), "adjusted": uah(r.adjusted), "executed": uah(r.executed)}
        for r in await session.execute(query)
    ]


def to_csv(data: list[dict]) -> str:
    """The package's data; a name that a spreadsheet would run as a formula gets a quote in front,
    the amounts (plain numbers, negative ones too) stay as they are (`ecity_common.outputs`)."""
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out, [c[0] for c in COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    return out.getvalue()


def descriptor(programme: dict, data: list[dict]) -> dict:
    years = sorted({r["year"] for r in data})
    measure = lambda phase: {"source": phase, "currency": "UAH", "factor": 1, "direction": "expenditure", "phase": phase}  # noqa: E731
    return {
        "profile": "fiscal-data-package",
        "name": "sumy-ecity-programme-execution",
        "title": f"Виконання програми «{programme.get('name_uk', '')}»",
        "description": "Planned (approved, adjusted) and financed (executed) amounts of the Sumy city programme, "
        "per year, budget holder and measure. The split across holders and measures is illustrative demo data; "
        "the yearly totals are the real published ones.",
        "countryCode": "UA",
        "fiscalPeriod": {"start": f"{years[0]}-01-01", "end": f"{years[-1]}-12-31"} if years else None,
        "granularity": "aggregated",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": [
            {
                "name": "execution",
                "path": "execution.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": n, "type": t, "title": title, **({"decimalChar": "."} if t == "number" else {})}
                               for n, t, title in COLUMNS],
                    "primaryKey": ["year", "admin_code", "measure_code"],
                },
            },
            {"name": "ledger-entries", "path": ENTRIES, "format": "jsonl", "mediatype": "application/x-ndjson",
             "encoding": "utf-8",
             "description": "Every ledger entry in chain order, each the JSON object its hash covers: hash = "
             "sha256(prev_hash + newline + canonical JSON of every other member), canonical = sorted keys, no "
             "spaces, UTF-8 (chain_version 2; version 1 entries hash their `content` only)."},
            {"name": "chain-heads", "path": HEADS, "format": "json", "mediatype": "application/json",
             "description": "Signed statements of the chain's head (entries, last_hash, totals), newest first: "
             "Ed25519 over the canonical JSON of `statement`, base64."},
            {"name": "public-keys", "path": KEYS, "format": "json", "mediatype": "application/json",
             "description": "The Ed25519 public keys (PEM) that sign the heads, by key_id."},
        ],
        "model": {
            "measures": {phase: measure(phase) for phase in ("approved", "adjusted", "executed")},
            "dimensions": {
                "date": {"dimensionType": "datetime", "attributes": {"year": {"source": "year"}}, "primaryKey": ["year"]},
                "administrative": {
                    "dimensionType": "classification", "classificationType": "administrative",
                    "attributes": {"code": {"source": "admin_code"}, "label": {"source": "admin_label", "labelfor": "code"}},
                    "primaryKey": ["code"],
                },
                "activity": {
                    "dimensionType": "activity",
                    "attributes": {"programme": {"source": "programme_code"}, "code": {"source": "measure_code"},
                                   "label": {"source": "measure_label", "labelfor": "code"}},
                    "primaryKey": ["code"],
                },
                "functional": {"dimensionType": "classification", "classificationType": "functional",
                               "attributes": {"code": {"source": "functional_code"}}, "primaryKey": ["code"]},
                "economic": {"dimensionType": "classification", "classificationType": "economic",
                             "attributes": {"code": {"source": "economic_code"}}, "primaryKey": ["code"]},
                "fund": {"dimensionType": "fact", "attributes": {"fund": {"source": "fund"}}, "primaryKey": ["fund"]},
            },
        },
    }


async def fiscal_data_package(session: AsyncSession) -> tuple[dict, str]:
    programme = (await session.execute(select(programmes))).mappings().first() or {}
    data = await rows(session)
    return descriptor(dict(programme), data), to_csv(data)


async def entry_lines(session: AsyncSession, page: int = 10_000) -> AsyncIterator[str]:
    """The ledger, a page at a time: one JSON object a line."""
    after = 0
    while rows := await published_entries(session, after, page):
        yield "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
        after = rows[-1]["seq"]


def as_zip(package: dict, csv_text: str, entries: str, heads: list[dict], keys: list[dict]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2))
        z.writestr("execution.csv", csv_text)
        z.writestr(ENTRIES, entries)
        z.writestr(HEADS, json.dumps(heads, ensure_ascii=False, indent=2))
        z.writestr(KEYS, json.dumps(keys, indent=2))
    return out.getvalue()
