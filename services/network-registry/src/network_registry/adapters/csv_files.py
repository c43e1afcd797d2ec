"""Sites, devices and links as CSV files: the export, and the rows of an import file.

Text that a spreadsheet would run as a formula is exported with a quote in front, and the import
takes it off again (`ecity_common.outputs`): an export imported as it is changes nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from ecity_common.inputs import MAX_IMPORT_ROWS
from ecity_common.outputs import SpreadsheetSafeWriter, read_csv_cell
from network_registry.domain.objects import ObjectKind
from network_registry.domain.phrases import Phrase


def columns(kind: ObjectKind) -> list[str]:
    return ["id", *kind.model.model_fields]


def export(kind: ObjectKind, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out, columns(kind), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in row.items()})
    return out.getvalue()


@dataclass
class ImportFile:
    rows: list[tuple[int, str, dict]] = field(default_factory=list)  # (line, id or "", the values given)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)


def _value(column: str, text: str):
    if text == "":
        return None
    text = read_csv_cell(text)
    if column == "route":
        return json.loads(text)
    return text  # pydantic converts numbers, dates and booleans from text


def read(kind: ObjectKind, data: bytes) -> ImportFile:
    """The rows of an import file, and what is wrong with the file or a row's text."""
    result = ImportFile()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append((1, "file", Phrase("not-utf-8")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    try:
        _read_rows(kind, reader, result)
    except csv.Error as exc:  # e.g. a field longer than the csv module's 128 KiB: no sense can be made of the rest
        result.problems.append((reader.line_num + 1, "file", Phrase("not-csv-from-here", reason=str(exc))))
    return result


def _read_rows(kind: ObjectKind, reader: csv.DictReader, result: ImportFile) -> None:
    unknown = [c for c in reader.fieldnames or [] if c not in columns(kind)]
    if unknown or not reader.fieldnames:
        result.problems += [(1, c, Phrase("unknown-column")) for c in unknown] or [(1, "file", Phrase("no-header"))]
        return
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:  # nothing of it is tried: a row is a statement and a savepoint
            result.rows.clear()
            result.problems.append((line, "file", Phrase("too-many-rows", most=MAX_IMPORT_ROWS)))
            return
        try:
            values = {k: _value(k, (v or "").strip()) for k, v in raw.items() if k != "id"}
        except json.JSONDecodeError:
            result.problems.append((line, "route", Phrase("route-not-json")))
            continue
        result.rows.append((line, (raw.get("id") or "").strip(), {k: v for k, v in values.items() if v is not None}))
