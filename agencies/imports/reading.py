"""Reading the tabular files people send, row by row, without loading them whole.

A file is CSV or XLSX, told apart by its first bytes rather than its name. CSV may be UTF-8
(with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's "Unicode text"), or
Windows-1252 (Excel's "CSV" on a US Windows machine); the encoding is settled by one streaming
pass over the bytes before any row is read, so a name with an "ë" on row 39,000 cannot be
decoded one way and its neighbours another. The separator is the commonest of comma, semicolon,
tab and pipe on the header line. XLSX is read with openpyxl in read-only mode, first sheet.

Rows come out as (line number, cells): the number is the line where the row starts in the file
(CSV, so it matches a text editor even with quoted line breaks or blank lines) or the sheet's
row number (XLSX). Blank rows are skipped; the first non-blank row is the header.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16  # bytes read at a time: the pre-scan must not hold a large slice of the file
DELIMITERS = (",", ";", "\t", "|")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office binary files)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, not CSV or XLSX, undecodable, no header…):
    `reason` says so in a sentence a person can act on; `line` points at it when known."""

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Layout:
    """What the file turned out to be: `kind` is "csv" or "xlsx"; for CSV, the encoding and the
    separator; `estimated_rows` counts lines (CSV) or the sheet's rows (XLSX), for progress."""

    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    estimated_rows: int = 0


class TabularFile:
    """A file that can be read several times over: a filesystem path, bytes, or a seekable
    binary file object (a Django upload). `filename` only names it in messages."""

    def __init__(self, file, filename: str = ""):
        if isinstance(file, str | os.PathLike):
            self._path: Path | None = Path(file)
            self._data = None
            self._stream = None
            self.filename = filename or self._path.name
        elif isinstance(file, bytes | bytearray | memoryview):
            self._path, self._data, self._stream = None, bytes(file), None
            self.filename = filename or "upload"
        else:
            self._path, self._data, self._stream = None, None, file
            self.filename = filename or getattr(file, "name", "") or "upload"
        self._layout: Layout | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The bytes from the start; a caller's stream is rewound, never closed."""
        if self._path is not None:
            with self._path.open("rb") as handle:
                yield handle
        elif self._data is not None:
            yield io.BytesIO(self._data)
        else:
            stream = getattr(self._stream, "file", None) or self._stream
            stream.seek(0)
            yield io.BufferedReader(_Unclosable(stream), CHUNK)

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = self._sniff()
        return self._layout

    def rows(self) -> Iterator[tuple[int, list]]:
        """Every non-blank row, header first, as (line, cells)."""
        if self.layout.kind == "xlsx":
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    # --- detection --------------------------------------------------------------------------

    def _sniff(self) -> Layout:
        with self.open() as handle:
            head = handle.read(8)
            if not head:
                raise FileRejected("The file is empty.")
            if head.startswith(_ZIP):
                return Layout("xlsx", estimated_rows=self._xlsx_estimate())
            if head.startswith(_OLE):
                raise FileRejected(
                    "This is an old-style Excel (.xls) file: save it as .xlsx or as CSV and "
                    "upload that."
                )
            handle.seek(0)
            encoding, lines = _detect_encoding(handle)
        delimiter = self._sniff_delimiter(encoding)
        rows = max(lines - 1, 0)
        return Layout("csv", encoding=encoding, delimiter=delimiter, estimated_rows=rows)

    def _sniff_delimiter(self, encoding: str) -> str:
        with self.open() as handle:
            text = io.TextIOWrapper(handle, encoding=encoding, newline="")
            try:
                for line in itertools.islice(text, 1000):
                    if line.strip():
                        counts = {d: _unquoted_count(line, d) for d in DELIMITERS}
                        best = max(DELIMITERS, key=lambda d: counts[d])
                        return best if counts[best] else ","
            finally:
                text.detach()
        raise FileRejected("The file has no header row: every line is blank.")

    def _xlsx_estimate(self) -> int:
        try:
            with self._workbook() as sheet:
                return max(0, (sheet.max_row or 1) - 1)
        except FileRejected:
            raise
        except Exception:  # a damaged workbook is reported when its rows are read
            return 0

    # --- CSV --------------------------------------------------------------------------------

    def _csv_rows(self) -> Iterator[tuple[int, list]]:
        layout = self.layout
        with self.open() as handle:
            text = io.TextIOWrapper(handle, encoding=layout.encoding, newline="")
            reader = csv.reader(text, delimiter=layout.delimiter)
            line = 0
            try:
                for cells in reader:
                    start, line = line + 1, reader.line_num
                    if any(isinstance(c, str) and c.strip() for c in cells):
                        yield start, cells
            except csv.Error as exc:
                raise FileRejected(
                    f"The file is not valid CSV near line {reader.line_num + 1}: {exc}.",
                    line=reader.line_num + 1,
                ) from exc
            except UnicodeDecodeError as exc:  # pragma: no cover - the pre-scan decoded it all
                raise FileRejected(f"The file could not be decoded as {layout.encoding}.") from exc
            finally:
                text.detach()

    # --- XLSX -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _workbook(self):
        from openpyxl import load_workbook

        with self.open() as handle:
            try:
                book = load_workbook(handle, read_only=True, data_only=True)
            except Exception as exc:
                raise FileRejected(
                    "The file looks like a ZIP archive but is not a readable XLSX workbook "
                    f"({type(exc).__name__}). Save it from Excel as .xlsx or as CSV."
                ) from exc
            try:
                if not book.worksheets:
                    raise FileRejected("The workbook has no sheet.")
                yield book.worksheets[0]
            finally:
                book.close()

    def _xlsx_rows(self) -> Iterator[tuple[int, list]]:
        with self._workbook() as sheet:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if any(_filled(v) for v in values):
                    yield number, list(values)


class _Unclosable(io.RawIOBase):
    """A view of a caller's binary stream that TextIOWrapper and openpyxl may close freely:
    closing it leaves the caller's stream open."""

    def __init__(self, stream):
        self._s = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._s.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset, whence=0):
        return self._s.seek(offset, whence)

    def tell(self):
        return self._s.tell()


def _filled(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _unquoted_count(line: str, delimiter: str) -> int:
    return len(re.sub(r'"[^"]*"', "", line).split(delimiter)) - 1


def _detect_encoding(handle: BinaryIO) -> tuple[str, int]:
    """The file's encoding (a byte-order mark, else strict UTF-8, else Windows-1252) and its
    number of lines, in one streaming pass over the bytes."""
    head = handle.read(4)
    handle.seek(0)
    for bom, name in _BOMS:
        if head.startswith(bom):
            lines = _count_lines(handle, name)
            if lines is None:
                raise FileRejected(
                    f"The file starts with a {name} byte-order mark but is not {name}."
                )
            return name, lines
    lines = _count_lines(handle, "utf-8")
    if lines is not None:
        return "utf-8", lines
    handle.seek(0)
    lines = _count_lines(handle, "cp1252")
    if lines is not None:
        return "cp1252", lines
    raise FileRejected(
        "The file is neither UTF-8 nor Windows-1252 text. Save it as 'CSV UTF-8' or as .xlsx."
    )


def _count_lines(handle: BinaryIO, encoding: str) -> int | None:
    """Lines in the file if it decodes as `encoding` from end to end, else None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines, empty = 0, True
    try:
        while chunk := handle.read(CHUNK):
            text = decoder.decode(chunk)
            lines += text.count("\n")
            empty = empty and not text.strip()
        tail = decoder.decode(b"", final=True)
        empty = empty and not tail.strip()
    except UnicodeDecodeError:
        return None
    if empty:
        raise FileRejected("The file is empty.")
    return lines
