"""Streaming readers for source files: JSONL and parquet row by row, JSON arrays whole.

The one reader of row files: ``convert`` quarantines a bad record, ``evaluate`` stops at it.

Each record comes with its 1-based position in the file and a printable copy for the quarantine file, and a
record that cannot be read (bad UTF-8, bad JSON, not an object) comes back with an error instead of raising,
so the converter can quarantine it and carry on.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

RAW_LIMIT = 2000


@dataclass
class SourceRecord:
    """One row of a source file: its position, a printable copy, and the parsed object or the read error."""

    line: int
    raw: str
    record: dict | None = None
    error: str | None = None


def printable(record: object) -> str:
    """A JSON copy of a record for the quarantine file, with embedded bytes elided and long text cut."""

    def default(value: object) -> str:
        return f"<{len(value)} bytes>" if isinstance(value, bytes) else repr(value)

    text = json.dumps(record, ensure_ascii=False, default=default)
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…"


def parse_line(line_no: int, data: bytes) -> SourceRecord:
    """Decode one JSONL line strictly as UTF-8 and parse it as a JSON object."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raw = data[:RAW_LIMIT].decode("utf-8", errors="backslashreplace")
        reason = f"non-UTF-8: bad byte at offset {error.start}, re-encode the file as UTF-8"
        return SourceRecord(line_no, raw, error=reason)
    raw = text[:RAW_LIMIT]
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        return SourceRecord(line_no, raw, error=f"invalid JSON: {error.msg} at column {error.colno}")
    if not isinstance(record, dict):
        return SourceRecord(line_no, raw, error=f"not a JSON object: got {type(record).__name__}")
    return SourceRecord(line_no, raw, record)


def read_jsonl(path: Path) -> Iterator[SourceRecord]:
    with path.open("rb") as handle:
        for line_no, data in enumerate(handle, start=1):
            if data.strip():
                yield parse_line(line_no, data.rstrip(b"\r\n"))


def read_json(path: Path) -> Iterator[SourceRecord]:
    """A JSON array of objects, or ``{"data": [...]}`` (loaded whole: convert big sets to JSONL or parquet)."""
    try:
        rows = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 (bad byte at offset {error.start}): re-encode it as UTF-8") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}: invalid JSON ({error.msg} at column {error.colno})") from error
    rows = rows.get("data") if isinstance(rows, dict) else rows
    if not isinstance(rows, list):
        raise ValueError(f'{path}: expected a JSON array of rows (or {{"data": [...]}})')
    for index, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            yield SourceRecord(index, printable(row), row)
        else:
            yield SourceRecord(index, printable(row), error=f"not a JSON object: got {type(row).__name__}")


def read_parquet(path: Path, batch_size: int = 256) -> Iterator[SourceRecord]:
    index = 0
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=batch_size)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise ValueError(f"{path}: not a readable parquet file ({type(error).__name__}: {error})") from error
    for batch in batches:
        for row in batch.to_pylist():
            index += 1
            yield SourceRecord(index, printable(row), row)


def count_records(path: Path) -> int:
    """Number of rows in a source file (parquet from its footer, JSONL by counting non-blank lines)."""
    if path.suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix == ".json":
        return sum(1 for _ in read_json(path))
    with path.open("rb") as handle:
        return sum(1 for data in handle if data.strip())


def read_records(path: str | Path) -> Iterator[SourceRecord]:
    """Records of a ``.jsonl``, ``.json`` or ``.parquet`` file, in file order."""
    path = Path(path)
    readers = {".jsonl": read_jsonl, ".json": read_json, ".parquet": read_parquet}
    if path.suffix not in readers:
        raise ValueError(f"unsupported source file {path}: use .jsonl, .json or .parquet")
    if not path.is_file():
        raise FileNotFoundError(f"source file {path} does not exist: check --input")
    return readers[path.suffix](path)
