"""The CSV files the portal hands out (catalogue and notices exports for staff, a
customer's video records and personal-data archive) are opened in Excel by Japanese offices.
To a spreadsheet a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula, and a formula written by someone else (a site name, an e-mail subject)
can run when the file is opened: such text is written with a leading apostrophe, which
spreadsheets show as text (OWASP, "CSV Injection"). Numbers are written as they are."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet reads as text, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose cells go through ``cell``."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose cells go through ``cell``."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
