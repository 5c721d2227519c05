"""``convert``: preference sets → verl RLHF parquet, streaming, with every unusable row quarantined.

Rows are read one at a time, turned into pairs by their format's adapter, checked against the row caps
(:mod:`r1_reward.data.limits`), given a balanced answer order and written in parquet row groups as they fill
(``row_group_size`` rows or ``ROW_GROUP_MAX_BYTES``, whichever comes first), so memory stays bounded by one row
group. Any failure of one row (a ``RowError`` or anything else its reading raises) sends it to
``<output>.rejected.jsonl`` with its file, line and reason; the summary accounts for every row:
``rows in = written + rejected + skipped by cap``.

Publishing (:mod:`r1_reward.data.publish`): both files are written beside the output as ``*.tmp`` and renamed into
place at the end, then ``<output>.manifest.json`` is written last, naming the pair; a run killed before the renames
leaves the previous pair and manifest untouched, one killed between them leaves no manifest, and a rerun rebuilds
(and removes the ``*.tmp`` files a killed run left). A
source of which no row could be used (an empty file, a missing required column, a wrong ``--format`` or
``--image-root``) fails the run, naming the top reasons; so does an input that cannot be read as a whole (missing,
a damaged JSON array or parquet file), with a ``ConvertError`` naming the file (and line): nothing is published and
no ``*.tmp`` is left.
"""

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from r1_reward.data.formats import adapter
from r1_reward.data.images import ImageStore
from r1_reward.data.limits import DEFAULT_LIMITS, MB, RowLimits
from r1_reward.data.pairs import Pair, RowError
from r1_reward.data.publish import leftover_tmp_files, publish_pair
from r1_reward.data.schema import RL_SCHEMA, OrderBalancer, rl_row
from r1_reward.data.sources import SourceRecord, count_records, read_records
from r1_reward.files import ParquetRowWriter

ROW_GROUP_MAX_BYTES = 128 * MB  # flush a row group once its images reach this size, whatever the row count


class ConvertError(RuntimeError):
    """The run produced nothing usable from a source, or an input could not be read; ``summary`` holds the counts
    so far, nothing was published."""

    def __init__(self, message: str, summary: "Summary") -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class Source:
    """One input file: its format, an optional cap on rows sampled from it, and the name used in ``data_source``."""

    format: str
    path: Path
    cap: int | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.format


@dataclass
class Summary:
    """Counts of one conversion; ``rows_in == written + rejected + skipped_by_cap`` always holds."""

    rows_in: int = 0
    written: int = 0
    rejected: int = 0
    skipped_by_cap: int = 0
    labels: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    per_source: dict = field(default_factory=dict)
    source_reasons: dict = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            f"rows in {self.rows_in} = written {self.written} + rejected {self.rejected}"
            f" + skipped by cap {self.skipped_by_cap}",
            f"ground truth: answer 1 = {self.labels[1]}, answer 2 = {self.labels[2]}",
        ]
        lines += [f"  {name}: {counts}" for name, counts in self.per_source.items()]
        if self.reasons:
            lines.append("top rejection reasons:")
            lines += [f"  {count:>8}  {reason}" for reason, count in self.reasons.most_common(10)]
        return "\n".join(lines)

    def unusable_sources(self) -> list[str]:
        """Sources that gave no row: empty ones, and those whose rows were all rejected (with the top reasons)."""
        found = []
        for name, counts in self.per_source.items():
            if counts["rows_in"] == 0:
                found.append(f"{name}: the file holds no rows")
            elif counts["written"] == 0 and counts["rows_in"] > counts["skipped_by_cap"]:
                top = "; ".join(f"{r} ×{n}" for r, n in self.source_reasons[name].most_common(3))
                usable = counts["rows_in"] - counts["skipped_by_cap"]
                found.append(f"{name}: 0 of {usable} rows usable (top reasons: {top})")
        return found


def parse_source(spec: str) -> Source:
    """``[NAME=]FORMAT:PATH[:CAP]``, e.g. ``rlaif=pairwise:/data/rlaif.parquet:50000``."""
    name, _, rest = spec.partition("=") if "=" in spec.split(":", 1)[0] else ("", "", spec)
    fmt, sep, location = rest.partition(":")
    if not sep:
        raise ValueError(f"--source {spec!r}: expected [NAME=]FORMAT:PATH[:CAP]")
    path, _, cap = location.rpartition(":")
    if not (cap.isdigit() and path):
        path, cap = location, ""
    adapter(fmt)
    return Source(fmt, Path(path), int(cap) if cap else None, name)


def sampled_positions(source: Source, seed: int) -> set[int] | None:
    """1-based record positions kept under the source's cap (a seeded uniform sample), or None for all."""
    if source.cap is None:
        return None
    total = count_records(source.path)
    if source.cap >= total:
        return None
    return set(random.Random(f"{seed}:{source.label}").sample(range(1, total + 1), source.cap))


class Quarantine:
    """Appends rejected rows, with their source position and reason, to ``<output>.rejected.jsonl.tmp``
    (``publish_pair`` renames it into place)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp_path = path.with_name(path.name + ".tmp")
        self._handle = self.tmp_path.open("w", encoding="utf-8")

    def add(self, source: Source, record: SourceRecord, reason: str) -> None:
        entry = {"source": source.label, "format": source.format, "file": str(source.path), "line": record.line}
        entry.update(reason=reason, raw=record.raw)
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._handle.close()

    def discard(self) -> None:
        self.close()
        self.tmp_path.unlink(missing_ok=True)


class Converter:
    """State of one conversion run: image store, balancer, writers and counts."""

    def __init__(
        self, output: Path, image_root: str | Path | None, seed: int, row_group_size: int, limits: RowLimits
    ) -> None:
        self.images = ImageStore(image_root, limits)
        self.limits = limits
        self.balancer = OrderBalancer(seed)
        self.seed = seed
        self.writer = ParquetRowWriter(output, RL_SCHEMA, row_group_size, max_group_bytes=ROW_GROUP_MAX_BYTES)
        self.quarantine = Quarantine(output.with_name(output.name + ".rejected.jsonl"))
        self.summary = Summary()

    def take(self, source: Source, record: SourceRecord) -> None:
        """Convert one record, writing it or quarantining it with the reason."""
        self.summary.rows_in += 1
        try:
            if record.error is not None:
                raise RowError(record.error)
            pair = _to_pair(source, record)
            self.limits.check_text(pair)
            image = self.images.load(pair.image)
        except Exception as error:  # one bad row never costs the job: anything it raises is its quarantine reason
            reason = str(error) if isinstance(error, RowError) else f"unexpected error: {type(error).__name__}: {error}"
            self.reject(source, record, reason)
            return
        label = self.balancer.next_label()
        index = self.summary.written
        self.writer.add(
            rl_row(pair, label, image, source=source.label, source_file=str(source.path), line=record.line, index=index)
        )
        self.summary.written += 1
        self.summary.labels[label] += 1

    def reject(self, source: Source, record: SourceRecord, reason: str) -> None:
        self.summary.rejected += 1
        self.summary.reasons[_reason_kind(reason)] += 1
        self.quarantine.add(source, record, reason)

    def run_source(self, source: Source, progress: bool) -> None:
        before = (self.summary.rows_in, self.summary.written, self.summary.rejected, self.summary.skipped_by_cap)
        reasons_before = self.summary.reasons.copy()
        keep = sampled_positions(source, self.seed)
        records = read_records(source.path)
        for position, record in enumerate(tqdm(records, desc=f"convert {source.label}", disable=not progress), 1):
            if keep is not None and position not in keep:
                self.summary.rows_in += 1
                self.summary.skipped_by_cap += 1
                continue
            self.take(source, record)
        after = (self.summary.rows_in, self.summary.written, self.summary.rejected, self.summary.skipped_by_cap)
        names = ("rows_in", "written", "rejected", "skipped_by_cap")
        self.summary.per_source[source.label] = {n: b - a for n, a, b in zip(names, before, after)}
        self.summary.source_reasons[source.label] = self.summary.reasons - reasons_before


def _to_pair(source: Source, record: SourceRecord) -> Pair:
    """The record's pair; a shape its adapter did not foresee (a number where a list belongs) is a RowError too."""
    try:
        return adapter(source.format)(record.record, record.line)
    except RowError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise RowError(f"malformed row: {type(error).__name__}: {error}") from error


def _reason_kind(reason: str) -> str:
    """The kind of a ``"<kind>: <detail>"`` reason, for the summary's tally; ``missing field`` keeps its field."""
    kind, _, detail = reason.partition(":")
    return f"{kind}: {detail.strip()}" if kind == "missing field" else kind


def _check_inputs(sources: list[Source]) -> None:
    """Every input exists and has a readable suffix, before anything is written."""
    for source in sources:
        if not source.path.is_file():
            raise ConvertError(f"source file {source.path} does not exist: check --input / --source", Summary())
        if source.path.suffix not in (".jsonl", ".json", ".parquet"):
            raise ConvertError(f"unsupported source file {source.path}: use .jsonl, .json or .parquet", Summary())


def _whole_file_error(source: Source, error: Exception) -> str:
    """A read error of a whole input as one line naming the file (its message often names it and the line)."""
    text = str(error)
    return text if str(source.path) in text else f"{source.path}: {type(error).__name__}: {text}"


def convert(
    sources: list[Source],
    output: str | Path,
    image_root: str | Path | None = None,
    seed: int = 0,
    row_group_size: int = 512,
    progress: bool = True,
    limits: RowLimits = DEFAULT_LIMITS,
) -> Summary:
    """Convert ``sources`` into one RL parquet at ``output`` and its quarantine file, published together (see the
    module docstring), and return the counts; ``ConvertError`` (nothing published, no ``*.tmp`` left) if an input
    cannot be read or a source gave no usable row."""
    output = Path(output)
    _check_inputs(sources)
    output.parent.mkdir(parents=True, exist_ok=True)
    for leftover in leftover_tmp_files(output):
        print(f"removing {leftover}, left by an interrupted run", file=sys.stderr)
        leftover.unlink()
    converter = Converter(output, image_root, seed, row_group_size, limits)
    try:
        for source in sources:
            try:
                converter.run_source(source, progress)
            except (ValueError, OSError) as error:  # the file as a whole: a damaged JSON array or parquet file
                raise ConvertError(_whole_file_error(source, error) + f"; nothing written to {output}",
                                   converter.summary) from error  # fmt: skip
        converter.writer.close()
        converter.quarantine.close()
        if unusable := converter.summary.unusable_sources():
            raise ConvertError(
                "no usable row from " + " | ".join(unusable) + f"; nothing written to {output}: check --format,"
                " the input's columns and --image-root",
                converter.summary,
            )
    except BaseException:
        converter.writer.discard()
        converter.quarantine.discard()
        raise
    quarantine = converter.quarantine
    publish_pair(output, quarantine.tmp_path, quarantine.path, converter.writer.commit, converter.summary.rejected)
    return converter.summary
