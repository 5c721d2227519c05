"""Joining the RL parquet with the annotation journal, and the SFT parquet of correctly annotated rows (§3.2).

SFT rows are the rows the annotator got right, with its think-and-answer reply as the assistant turn. The input
parquet is streamed and annotations are looked up by byte offset, so memory stays bounded.
"""

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from r1_reward.data.journal import Annotation, load_journal, read_entry, row_key
from r1_reward.data.schema import SFT_SCHEMA
from r1_reward.files import write_parquet


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


def sft_rows(input_path: Path, journal: Path) -> Iterator[dict]:
    for record, annotation in annotated_rows(input_path, journal):
        if annotation is not None and annotation.correct:
            prompt = record.pop("prompt")
            record["messages"] = prompt + [{"role": "assistant", "content": annotation.response}]
            yield record


def write_sft(input_path: Path, journal: Path, output: Path) -> int:
    """The SFT parquet (verl MultiTurnSFTDataset: ``messages`` + ``images``) of correctly annotated rows."""
    return write_parquet(sft_rows(input_path, journal), output, SFT_SCHEMA)
