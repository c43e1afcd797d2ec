"""Engineers load sites, devices or links from a CSV file, all or none: rows with an existing id
update, others create; the report names every bad row."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import Refused
from network_registry.adapters import csv_files, queries
from network_registry.domain.objects import ObjectKind
from network_registry.use_cases import inventory
from network_registry.use_cases.inventory import Context


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)


async def import_rows(session: AsyncSession, ctx: Context, kind: ObjectKind, data: bytes) -> ImportReport:
    """Every row is tried (each in a savepoint) so that the report names every bad one; the
    caller commits only when there is none."""
    file = csv_files.read(kind, data)
    report = ImportReport(problems=file.problems)
    for line, object_id, values in file.rows:
        try:
            async with session.begin_nested():
                if object_id and await queries.exists(session, kind, object_id):
                    await inventory.change(session, ctx, kind, object_id, values)
                    report.updated += 1
                else:
                    await inventory.create(session, ctx, kind, {**values, **({"id": object_id} if object_id else {})})
                    report.created += 1
        except Refused as exc:
            report.problems.append((line, exc.field or kind.name, exc.detail))
    report.problems.sort(key=lambda p: p[0])
    return report


async def export(session: AsyncSession, kind: ObjectKind) -> str:
    return csv_files.export(kind, await queries.every(session, kind, ordered=True))
