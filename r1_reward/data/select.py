"""The hard RL subset (§3.2): rows that took at least ``min_attempts`` (2) attempts or were never answered correctly.

It streams the RL parquet joined with the annotation journal (``r1_reward.data.sft.annotated_rows``), so memory
stays bounded; the difficulty goes into ``extra_info``. A run that selects no row writes nothing and raises
:class:`SelectError` saying why (an empty parquet would only fail later, in training).
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from r1_reward.data.schema import RL_SCHEMA, OrderBalancer, place_chosen
from r1_reward.data.sft import annotated_rows
from r1_reward.files import write_parquet


class SelectError(RuntimeError):
    """No row was selected; ``summary`` holds the counts, nothing was written."""

    def __init__(self, message: str, summary: "SelectSummary") -> None:
        super().__init__(message)
        self.summary = summary


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

    def why_none(self, min_attempts: int) -> str:
        """Why nothing was selected, naming what to do."""
        if not self.rows:
            return "the input parquet holds no rows"
        if self.unannotated == self.rows:
            return f"none of its {self.rows} rows is annotated yet: run 'python -m r1_reward.data annotate' first"
        return (
            f"every annotated row ({self.easy}) was answered correctly in fewer than {min_attempts} attempts: no hard "
            f"row to train on; lower --min-attempts, or train on the whole RL parquet"
        )


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

    try:
        write_parquet(hard_rows(), Path(output), RL_SCHEMA, min_rows=1)
    except ValueError as error:
        if summary.selected:
            raise
        raise SelectError(f"no row selected, nothing written to {output}: {summary.why_none(min_attempts)}",
                          summary) from error  # fmt: skip
    return summary
