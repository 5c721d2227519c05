"""Joining the RL parquet with the annotation journal: the SFT parquet and the hard RL subset (§3.2).

SFT: rows the annotator got right, with its think-and-answer reply as the assistant turn. RL subset: rows that
took at least ``min_attempts`` (2) attempts or were never answered correctly. Both stream the input parquet and
look annotations up by byte offset, so memory stays bounded; the difficulty goes into ``extra_info``.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from r1_reward.data.journal import Annotation, load_journal, read_entry
from r1_reward.data.schema import RL_SCHEMA, SFT_SCHEMA, OrderBalancer, place_chosen
from r1_reward.files import write_parquet


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
    """Each input row with its annotation (None when the journal has none), with difficulty in ``extra_info``."""
    offsets = load_journal(journal)
    with journal.open("rb") as handle:
        row = 0
        for batch in pq.ParquetFile(input_path).iter_batches(batch_size=64):
            for record in batch.to_pylist():
                annotation = read_entry(handle, offsets[row]) if row in offsets else None
                if annotation is not None:
                    record["extra_info"]["attempts"] = annotation.attempts
                    record["extra_info"]["annotator_correct"] = annotation.correct
                yield record, annotation
                row += 1


def sft_rows(input_path: Path, journal: Path) -> Iterator[dict]:
    for record, annotation in annotated_rows(input_path, journal):
        if annotation is not None and annotation.correct:
            prompt = record.pop("prompt")
            record["messages"] = prompt + [{"role": "assistant", "content": annotation.response}]
            yield record


def write_sft(input_path: Path, journal: Path, output: Path) -> int:
    """The SFT parquet (verl MultiTurnSFTDataset: ``messages`` + ``images``) of correctly annotated rows."""
    return write_parquet(sft_rows(input_path, journal), output, SFT_SCHEMA)


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

    write_parquet(hard_rows(), Path(output), RL_SCHEMA)
    return summary
