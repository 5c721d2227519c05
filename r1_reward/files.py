"""The package's file writers and recoveries, in one place (data pipeline and evaluation use the same ones).

- ``ParquetRowWriter`` / ``write_parquet``: parquet written a row group at a time (memory bounded by one group: a
  group is written at ``row_group_size`` rows or, when set, ``max_group_bytes`` of image bytes) into
  ``<output>.tmp`` and renamed over ``<output>`` only when complete, so a crash never leaves a partial parquet.
- ``cut_torn_tail``: an append-only JSONL file whose last write was cut by a crash ends in a line without its
  newline; dropping that line is the whole recovery (every complete line was written before it).
"""

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


class ParquetRowWriter:
    """Buffers rows and writes a row group each time ``row_group_size`` rows (or ``max_group_bytes`` of the rows'
    image bytes) are ready; ``commit`` publishes the file, ``discard`` drops it."""

    def __init__(
        self, output: Path, schema: pa.Schema, row_group_size: int = 256, max_group_bytes: int | None = None
    ) -> None:
        self.output, self.schema, self.row_group_size = Path(output), schema, row_group_size
        self.max_group_bytes = max_group_bytes
        self.tmp = self.output.with_name(self.output.name + ".tmp")
        self._writer = pq.ParquetWriter(self.tmp, schema)
        self._rows: list[dict] = []
        self._bytes = 0
        self.count = 0

    def add(self, row: dict) -> None:
        self._rows.append(row)
        self.count += 1
        if self.max_group_bytes is not None:
            self._bytes += sum(len(image["bytes"]) for image in row.get("images") or [])
        full = self.max_group_bytes is not None and self._bytes >= self.max_group_bytes
        if full or len(self._rows) >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows, self._bytes = [], 0

    def close(self) -> None:
        """Write what is buffered and close ``<output>.tmp`` (``output`` is untouched until ``commit``)."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def discard(self) -> None:
        """Close and delete ``<output>.tmp``, leaving ``output`` as it was."""
        self.close()
        self.tmp.unlink(missing_ok=True)

    def commit(self) -> int:
        """Close and atomically replace ``output`` with the new file; returns the number of rows."""
        self.close()
        os.replace(self.tmp, self.output)
        return self.count


def write_parquet(
    rows: Iterable[dict], output: Path, schema: pa.Schema, row_group_size: int = 256, min_rows: int = 0
) -> int:
    """Write ``rows`` to ``output`` atomically, a row group at a time; returns how many. If ``rows`` raises, or
    yields fewer than ``min_rows``, nothing is published and no ``*.tmp`` is left (``ValueError`` for too few)."""
    writer = ParquetRowWriter(output, schema, row_group_size)
    try:
        for row in rows:
            writer.add(row)
        if writer.count < min_rows:
            raise ValueError(f"{writer.count} rows, fewer than {min_rows}: {output} not written")
    except BaseException:
        writer.discard()
        raise
    return writer.commit()


def cut_torn_tail(path: Path) -> int:
    """Truncate ``path`` after its last newline (a crash's half-written last line); returns the bytes dropped."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        keep = _last_newline_end(handle, size)
        if keep < size:
            handle.truncate(keep)
    return size - keep


def _last_newline_end(handle, size: int, chunk: int = 1 << 16) -> int:
    """Offset just past the last ``\\n`` of an open binary file of ``size`` bytes (0 if there is none)."""
    end = size
    while end > 0:
        start = max(0, end - chunk)
        handle.seek(start)
        block = handle.read(end - start)
        index = block.rfind(b"\n")
        if index >= 0:
            return start + index + 1
        end = start
    return 0
