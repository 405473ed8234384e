"""CSV in and out for batch entity resolution (``cairn resolve``), without holding the file in Python.

DuckDB reads the CSV (streaming, spilling to disk when it must) into a table of raw records;
the clusters are written by DuckDB's COPY into a temporary file beside the target, renamed over
it only when everything succeeded, so a failed run never leaves a partial output.

Problems are ``CsvError`` with a message a user can act on: a file that is empty or not UTF-8 (UTF-8
with a byte-order mark is fine), a row that does not fit the header, a missing column, duplicate or
empty record ids. Records without a
usable name are not matched and are written each as a cluster of its own; impossible dates of
birth are treated as unknown. Both are counted.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("id", "name", "dob", "nationality", "identifiers", "selectors")
REQUIRED = ("id", "name")
DEFAULT_COLUMNS = {"id": "id", "name": "name", "dob": "dob", "nationality": "nationality"}
VALUE_SEPARATOR = ";"  # several identifiers or selectors in one cell
# A record has a usable name if it holds a letter of any script: RE2's [[:alpha:]] is ASCII only, and
# would leave 'Иван Петров' out of matching though the model transliterates it.
USABLE_NAME = r"name IS NOT NULL AND regexp_matches(name, '\p{L}')"
SNIFF_BYTES = 1 << 20


class CsvError(ValueError):
    """The input cannot be resolved as given; the message says why and what to do."""


@dataclass
class ColumnMap:
    """Which CSV column holds each field; identifiers and selectors may come from several columns."""

    columns: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str | None) -> ColumnMap:
        """'name=full_name,dob=date_of_birth,selectors=phone+email' (unnamed fields keep their defaults)."""
        columns = {k: [v] for k, v in DEFAULT_COLUMNS.items()}
        explicit: set[str] = set()
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key = key.strip().lower()
            if key == "record_id":
                key = "id"
            if not sep or key not in FIELDS or not value.strip():
                raise CsvError(f"--columns: '{part.strip()}' is not FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
            columns[key] = [c.strip() for c in value.split("+") if c.strip()]
            explicit.add(key)
        return cls(columns | {"_explicit": sorted(explicit)})

    def explicit(self, key: str) -> bool:
        return key in self.columns.get("_explicit", [])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_encoding(path: Path) -> None:
    """Refuse a file that is not UTF-8, or holds nothing, reading it in chunks (a 2 GB file is never held whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    blank = True
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(SNIFF_BYTES):
                if offset == 0 and _utf16(chunk):
                    # Not worth the WINDOWS-1252 advice below: converting from that would garble it.
                    raise CsvError(
                        f"{path.name} is UTF-16 (Excel's 'Unicode text'), not UTF-8; save it as UTF-8 "
                        "(Excel: 'CSV UTF-8') or convert it, e.g. iconv -f UTF-16 -t UTF-8"
                    )
                text = decoder.decode(chunk)
                blank = blank and not text.lstrip("\ufeff").strip()
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        at = offset + exc.start
        raise CsvError(
            f"{path.name} is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {at:,}); "
            "save it as UTF-8 (Excel: 'CSV UTF-8') or convert it, e.g. iconv -f WINDOWS-1252 -t UTF-8"
        ) from None
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None
    if blank:
        raise CsvError(f"{path.name} is empty: it needs a header line (e.g. id,name,dob) and a record on each line")


def _utf16(start: bytes) -> bool:
    """Whether a file starting so is UTF-16: its byte-order mark, or (without one) a NUL beside most
    of the first letters, as ASCII text is in UTF-16. A stray NUL elsewhere in UTF-8 is not."""
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = start[:4096]
    return len(head) >= 4 and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4


def ragged_rows(path: Path, names: list[str]) -> None:
    """When the sniffer found one column named like 'id,name', say which row does not fit the header.

    DuckDB gives up on the delimiter when rows have more fields than the header, and reads each line
    as one column: left alone, the user would be told the columns they do have are missing.
    """
    if len(names) != 1 or not (delimiters := [d for d in ",;\t|" if d in names[0]]):
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiters[0])
        line = 1
        try:
            width = len(next(reader, []))
            while True:
                line = reader.line_num + 1  # where the next record starts (a quoted field may span lines)
                row = next(reader, None)
                if row is None:
                    return
                if row and len(row) != width:
                    raise CsvError(
                        f"{path.name}: line {line} has {len(row)} fields but the header has {width}; "
                        "every record needs one field per column (quote a value that contains the delimiter)"
                    )
        except csv.Error as exc:  # e.g. a quote never closed runs a field past the reader's limit
            raise CsvError(
                f"{path.name}: the record from line {line} cannot be read ({exc}); is a quote left open?"
            ) from None


def header(con: Any, path: Path) -> list[str]:
    rows = con.execute(
        f"DESCRIBE SELECT * FROM read_csv({_literal(str(path))}, header = true, all_varchar = true, "  # noqa: S608
        "sample_size = 20480)"
    ).fetchall()
    return [r[0] for r in rows]


@dataclass
class LoadStats:
    records: int
    empty_names: int


def load_csv(con: Any, path: Path, columns: ColumnMap, table: str) -> LoadStats:
    """Read ``path`` into ``table`` (unique_id, name, dob, nationality, identifiers, selectors)."""
    if not path.is_file():
        raise CsvError(f"{path} does not exist or is not a file")
    check_encoding(path)
    try:
        names = header(con, path)
    except Exception as exc:  # DuckDB's sniffer: no header, ragged rows
        raise CsvError(f"{path.name} cannot be read as CSV: {str(exc).splitlines()[0]}") from None
    ragged_rows(path, names)
    present = set(names)
    missing: list[str] = []
    for key in FIELDS:
        wanted = columns.columns.get(key, [])
        absent = [c for c in wanted if c not in present]
        if absent and (key in REQUIRED or columns.explicit(key)):
            missing.extend(f"{c} (for {key})" for c in absent)
    if missing:
        raise CsvError(
            f"{path.name} has no column {', '.join(missing)}; its columns are: {', '.join(names)}. "
            "Name them with --columns, e.g. --columns id=record_id,name=full_name,dob=date_of_birth"
        )

    def col(key: str) -> str:
        wanted = [c for c in columns.columns.get(key, []) if c in present]
        return f"nullif(trim({_quote(wanted[0])}), '')" if wanted else "NULL::VARCHAR"

    def multi(key: str) -> str:
        wanted = [c for c in columns.columns.get(key, []) if c in present]
        if not wanted:
            return "NULL::VARCHAR[]"
        parts = " || ".join(
            f"coalesce(string_split(coalesce({_quote(c)}, ''), {_literal(VALUE_SEPARATOR)}), [])" for c in wanted
        )
        return f"list_filter(list_transform({parts}, lambda v: trim(v)), lambda v: v <> '')"

    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE {table} AS
                SELECT {col("id")} AS unique_id, {col("name")} AS name, {col("dob")} AS dob,
                       {col("nationality")} AS nationality, {multi("identifiers")} AS identifiers,
                       {multi("selectors")} AS selectors
                FROM read_csv({_literal(str(path))}, header = true, all_varchar = true, sample_size = 20480)"""  # noqa: S608
        )
    except Exception as exc:
        raise CsvError(f"{path.name} cannot be read as CSV: {str(exc).splitlines()[0]}") from None
    empty_ids = con.execute(f"SELECT count(*) FROM {table} WHERE unique_id IS NULL").fetchall()[0][0]  # noqa: S608
    if empty_ids:
        raise CsvError(f"{path.name}: {empty_ids:,} records have no id; every record needs one")
    dups = con.execute(
        f"SELECT unique_id, count(*) FROM {table} GROUP BY unique_id HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 11"  # noqa: S608
    ).fetchall()
    if dups:
        total = con.execute(
            f"SELECT count(*) FROM (SELECT unique_id FROM {table} GROUP BY unique_id HAVING count(*) > 1)"  # noqa: S608
        ).fetchall()[0][0]
        shown = ", ".join(f"{r[0]} ({r[1]} times)" for r in dups[:10])
        more = f" and {total - 10:,} more" if total > 10 else ""
        raise CsvError(f"{path.name}: record ids must be unique; repeated: {shown}{more}")
    count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
    if not count:
        raise CsvError(f"{path.name} has a header but no records")
    empty = con.execute(
        f"SELECT count(*) FROM {table} WHERE NOT ({USABLE_NAME})"  # noqa: S608
    ).fetchall()[0][0]
    return LoadStats(int(count), int(empty))


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over it when the block succeeds, removed if not."""
    target = target.resolve()
    if target.is_dir():
        raise CsvError(f"{target} is a directory; give a file name for --out")
    if not target.parent.is_dir():
        raise CsvError(f"the folder {target.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:  # a read-only or full folder: the user's to fix, not a traceback
        raise CsvError(
            f"cannot write in {target.parent}: {exc.strerror or exc}; give --out a folder you may write"
        ) from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
    try:
        yield Path(tmp)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise CsvError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_to_csv(con: Any, query: str, path: Path) -> None:
    con.execute(f"COPY ({query}) TO {_literal(str(path))} (FORMAT csv, HEADER true)")
