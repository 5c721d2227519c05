"""Joining the RL parquet with the annotation journal: the SFT parquet and the hard RL subset (§3.2).

SFT: rows the annotator got right, with its think-and-answer reply as the assistant turn. RL subset: rows that
took at least ``min_attempts`` (2) attempts or were never answered correctly. Both stream the input parquet and
look annotations up by byte offset, so memory stays bounded; the difficulty goes into ``extra_info``.
"""

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from r1_reward.data.journal import Annotation, load_journal, read_entry, row_key
from r1_reward.data.schema import RL_SCHEMA, SFT_SCHEMA, OrderBalancer, place_chosen


@dataclass
class SelectSummary:
    """Counts of one ``select`` run; ``rows == selected + easy + unannotated``."""

    rows: int = 0
    selected: int = 0
    easy: int = 0
    unannotated: int = 0
    labels: Counter = field(default_factory=Counter)

    def text(self) -> str:
        return (
            f"rows {self.rows} = selected {self.selected} (attempts >= 2 or never correct)"
            f" + easy {self.easy} + unannotated {self.unannotated}\n"
            f"selected ground truth: answer 1 = {self.labels['1']}, answer 2 = {self.labels['2']}"
        )


def annotated_rows(input_path: Path, journal: Path) -> Iterator[tuple[dict, Annotation | None]]:
    """Each input row with its annotation (None when the journal has none for the row's content), with difficulty
    in ``extra_info``; a row changed since it was annotated has none."""
    offsets = load_journal(journal)
    with journal.open("rb") as handle:
        for batch in pq.ParquetFile(input_path).iter_batches(batch_size=64):
            for record in batch.to_pylist():
                key = row_key(record)
                annotation = read_entry(handle, offsets[key]) if key in offsets else None
                if annotation is not None:
                    record["extra_info"]["attempts"] = annotation.attempts
                    record["extra_info"]["annotator_correct"] = annotation.correct
                yield record, annotation


def write_rows(rows: Iterator[dict], output: Path, schema: pa.Schema, row_group_size: int = 256) -> int:
    """Write rows to ``output`` (atomically, a row group at a time); returns how many."""
    tmp = output.with_name(output.name + ".tmp")
    count, buffer = 0, []
    with pq.ParquetWriter(tmp, schema) as writer:
        for row in rows:
            buffer.append(row)
            count += 1
            if len(buffer) == row_group_size:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                buffer = []
        if buffer:
            writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
    os.replace(tmp, output)
    return count


def sft_rows(input_path: Path, journal: Path) -> Iterator[dict]:
    for record, annotation in annotated_rows(input_path, journal):
        if annotation is not None and annotation.correct:
            prompt = record.pop("prompt")
            record["messages"] = prompt + [{"role": "assistant", "content": annotation.response}]
            yield record


def write_sft(input_path: Path, journal: Path, output: Path) -> int:
    """The SFT parquet (verl MultiTurnSFTDataset: ``messages`` + ``images``) of correctly annotated rows."""
    return write_rows(sft_rows(input_path, journal), output, SFT_SCHEMA)


def select(
    input_path: str | Path, journal: str | Path, output: str | Path, min_attempts: int = 2, seed: int | None = 0
) -> SelectSummary:
    """Write the hard RL subset: rows with ``attempts >= min_attempts`` or never answered correctly.

    With a ``seed`` the subset's answer order is re-balanced 1:1 (±1) like ``convert`` does: an annotator with a
    position bias would otherwise leave the hard rows skewed towards one answer. ``seed=None`` keeps the order.
    """
    summary = SelectSummary()
    balancer = OrderBalancer(seed) if seed is not None else None

    def hard_rows() -> Iterator[dict]:
        for record, annotation in annotated_rows(Path(input_path), Path(journal)):
            summary.rows += 1
            if annotation is None:
                summary.unannotated += 1
            elif annotation.attempts >= min_attempts or not annotation.correct:
                summary.selected += 1
                if balancer is not None:
                    record = place_chosen(record, balancer.next_label())
                summary.labels[record["reward_model"]["ground_truth"]] += 1
                yield record
            else:
                summary.easy += 1

    write_rows(hard_rows(), Path(output), RL_SCHEMA)
    return summary
