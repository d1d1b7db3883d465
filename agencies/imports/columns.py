"""Header rows: names matched case-insensitively, trimmed, in any order, with common aliases.

A header cell is normalised (trimmed, lower-cased, every run of spaces and punctuation made one
underscore: "E-mail Address " → "e_mail_address") and matched against each column's name and
aliases. Unknown columns are reported as warnings and ignored; a required column that is missing,
or a column given twice, rejects the file before any row is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .reading import FileRejected


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = True
    aliases: tuple[str, ...] = ()


@dataclass
class Header:
    """Where each known column sits (`index`), and what the file had besides."""

    line: int
    index: dict[str, int]
    width: int
    unknown: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.index


def normalise(cell) -> str:
    text = "" if cell is None else str(cell)
    text = text.replace("\ufeff", "").strip().strip("\"'").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def read_header(
    line: int, cells: Sequence, columns: Sequence[Column], *, first_alias_wins: bool = False
) -> Header:
    """Map a header row onto `columns`. Two cells naming one column reject the file, unless
    `first_alias_wins`: then the cell matching the earlier alias is used and the other ignored
    (a vendor export with both "date" and "period_start", say)."""
    by_alias: dict[str, tuple[str, int]] = {}
    for column in columns:
        for rank, alias in enumerate((column.name, *column.aliases)):
            by_alias.setdefault(normalise(alias), (column.name, rank))
    index: dict[str, int] = {}
    ranks: dict[str, int] = {}
    unknown: list[str] = []
    for position, cell in enumerate(cells):
        key = normalise(cell)
        if not key:
            continue
        if key not in by_alias:
            unknown.append(str(cell).strip())
            continue
        name, rank = by_alias[key]
        if name in index:
            if not first_alias_wins:
                raise FileRejected(
                    f"Column '{name}' appears twice in the header (columns "
                    f"{_letter(index[name])} and {_letter(position)}); keep one.",
                    line=line,
                    column=name,
                )
            if rank >= ranks[name]:
                unknown.append(str(cell).strip())
                continue
            unknown.append(str(cells[index[name]]).strip())
        index[name] = position
        ranks[name] = rank
    missing = [c.name for c in columns if c.required and c.name not in index]
    if missing:
        found = ", ".join(str(c).strip() for c in cells if normalise(c)) or "nothing"
        raise FileRejected(
            f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The header row (line {line}) has: {found}.",
            line=line,
            column=missing[0],
        )
    return Header(line=line, index=index, width=len(cells), unknown=unknown)


HEADER_SEARCH = 10  # non-blank rows looked at for the header (titles above it are skipped)


def find_header(
    rows: Iterator[tuple[int, list]],
    columns: Sequence[Column],
    *,
    first_alias_wins: bool = False,
) -> tuple[Header, int]:
    """The header among the first non-blank rows: the first that names every required column,
    so a title or a note above it ("Roster as of 1/15/2026") is skipped. Returns it and how many
    rows were skipped; when no row qualifies, the first row's refusal is raised."""
    first_error: FileRejected | None = None
    for skipped in range(HEADER_SEARCH):
        row = next(rows, None)
        if row is None:
            break
        try:
            return read_header(*row, columns, first_alias_wins=first_alias_wins), skipped
        except FileRejected as exc:
            if "appears twice" in exc.reason:
                raise
            first_error = first_error or exc
    if first_error is None:
        raise FileRejected("The file is empty.")
    raise first_error


def _letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position (0 → A, 26 → AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
