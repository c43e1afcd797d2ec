"""CSV export and all-or-none import of sites, devices and links, with a report naming every bad row."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from network_registry.use_cases import inventory as service
from network_registry.use_cases.inventory import Context, ObjectType, RegistryError


def columns(kind: ObjectType) -> list[str]:
    return ["id", *kind.model.model_fields]


def export(kind: ObjectType, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns(kind), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else ("" if v is None else v)
                         for k, v in row.items()})
    return out.getvalue()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)


def _value(kind: ObjectType, column: str, text: str):
    if text == "":
        return None
    if column == "route":
        return json.loads(text)
    return text  # pydantic converts numbers, dates and booleans from text


async def import_rows(session: AsyncSession, ctx: Context, kind: ObjectType, data: bytes) -> ImportReport:
    """Every row is tried (each in a savepoint) so that the report names every bad one; the
    caller commits only when there is none."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append((1, "file", "not UTF-8 text"))
        return report
    reader = csv.DictReader(io.StringIO(text))
    unknown = [c for c in reader.fieldnames or [] if c not in columns(kind)]
    if unknown or not reader.fieldnames:
        report.problems += [(1, c, "unknown column") for c in unknown] or [(1, "file", "no header")]
        return report
    for line, raw in enumerate(reader, start=2):
        try:
            values = {k: _value(kind, k, (v or "").strip()) for k, v in raw.items() if k != "id"}
        except json.JSONDecodeError:
            report.problems.append((line, "route", "not JSON (a GeoJSON LineString)"))
            continue
        values = {k: v for k, v in values.items() if v is not None}
        object_id = (raw.get("id") or "").strip()
        try:
            async with session.begin_nested():
                if object_id and await service.get(session, kind, object_id):
                    await service.change(session, ctx, kind, object_id, values)
                    report.updated += 1
                else:
                    await service.create(session, ctx, kind, {**values, **({"id": object_id} if object_id else {})})
                    report.created += 1
        except RegistryError as exc:
            report.problems.append((line, exc.field, exc.message))
    return report
