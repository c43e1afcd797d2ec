"""What the city writes for other people's programs to open: CSV a spreadsheet reads as data,
XML a strict parser reads at all. Every CSV and XML the services write goes through here.

CSV. A spreadsheet opening a CSV runs a cell that begins with '=', '+', '-' or '@' as a formula
(and one that begins with a tab or a carriage return, which it trims first): a site's or a budget
holder's name could become `=HYPERLINK(…)` or a command in the reader's spreadsheet. Such a text
cell is written with a single quote in front, which spreadsheets show as text. Numbers are left as
they are: a value typed as a number (int, Decimal, float) is written unchanged, and so is text that
is a plain decimal number ("-1500.00", an amount a query gave as text), which a spreadsheet reads
as that number and nothing else. A text cell that itself begins with the quote gets one more, so
that `read_csv_cell` gives back exactly what was written (the network registry imports its own
exports).

XML. XML 1.0 has no way to write the C0 control characters other than tab, LF and CR, nor U+FFFE,
U+FFFF or half of a surrogate pair, not even as character references: one of them in a text makes
the whole document unreadable to a strict parser. Whatever input checks let through (or stored
before they existed), `xml_text` puts U+FFFD, the replacement character, in their place.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

# What a spreadsheet would start a formula with (tab and CR: it trims them, then looks again).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")  # fullmatch: linear

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell a spreadsheet will not run."""
    if value is None or isinstance(value, int | float | Decimal):  # (bool is an int)
        return value
    text = str(value)
    if text.startswith(_QUOTE) or (text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)):
        return _QUOTE + text
    return text


def read_csv_cell(text: str) -> str:
    """What `csv_cell` was given, from the cell it wrote (text)."""
    return text[1:] if text.startswith(_QUOTE) else text


class SpreadsheetSafeWriter(csv.DictWriter):
    """csv.DictWriter whose every cell goes through `csv_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({key: csv_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, text)
