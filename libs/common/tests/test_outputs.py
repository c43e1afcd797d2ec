"""CSV cells a spreadsheet does not run, XML text a strict parser reads (issue 15)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from ecity_common.outputs import SpreadsheetSafeWriter, csv_cell, read_csv_cell, xml_text


@pytest.mark.parametrize(("value", "cell"), [
    ('=HYPERLINK("http://example.org","x")', '\'=HYPERLINK("http://example.org","x")'),
    ("+380 542 700 000", "'+380 542 700 000"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'already quoted", "''already quoted"),  # so that reading it back gives the quote back
    ("-", "'-"),
    ("-1e5", "'-1e5"),  # not a plain decimal number: text
    ("-1500.00", "-1500.00"),  # a plain number written as text: a spreadsheet reads the number
    ("-12", "-12"),
    ("Соборна 1 = центр", "Соборна 1 = центр"),
    ("", ""),
    (-150000, -150000),
    (Decimal("-1500.00"), Decimal("-1500.00")),
    (-1.5, -1.5),
    (True, True),
    (None, None),
])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_and_numbers_stay_numbers(value, cell):
    assert csv_cell(value) == cell
    if isinstance(cell, str):
        assert read_csv_cell(cell) == value


def test_the_writer_quotes_every_cell_of_every_row():
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out, ["name", "amount"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"name": "=1+1", "amount": "-1.00"})
    writer.writerows([{"name": "@x", "amount": -2}, {"name": "ok", "amount": None}])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [{"name": "'=1+1", "amount": "-1.00"}, {"name": "'@x", "amount": "-2"}, {"name": "ok", "amount": ""}]


def test_xml_text_replaces_what_xml_cannot_carry_and_keeps_the_rest():
    forbidden = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF])
    kept = "Тече труба\t\n\r\x7f\u0085\ufffd😀 <&>"
    assert xml_text(forbidden + kept) == "\ufffd" * len(forbidden) + kept
    element = ET.Element("description")
    element.text = xml_text(forbidden + kept)
    parsed = ET.fromstring(ET.tostring(element, encoding="utf-8"))  # a lone surrogate could not even be encoded
    assert parsed.text == "\ufffd" * len(forbidden) + kept.replace("\r", "\n")  # (XML reads CR as LF)
