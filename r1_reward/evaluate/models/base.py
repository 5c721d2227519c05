"""The one small interface every judge implements.

A judge turns presentations into ``k`` samples each: the verdict (``"1"``, ``"2"`` or ``None`` when the output is
unparseable) and, where the backend exposes it, the probability of the answer token (for confidence-weighted voting).
A presentation the judge cannot judge (its media cannot be read, or the judge gives up after its retries) comes back
as a :class:`Skip` with the reason, so one bad item never costs the run (the runner records and counts it).
"""

from dataclasses import dataclass
from typing import Protocol

from r1_reward.evaluate.items import Presentation


@dataclass(frozen=True)
class Sample:
    """One judge output: the verdict, the answer token's probability if known, and the raw text if any."""

    answer: str | None
    prob: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class Skip:
    """A presentation that could not be judged; ``reason`` is ``"<kind>: <detail>"`` (kinds: ``SKIP_KINDS``)."""

    reason: str

    @property
    def kind(self) -> str:
        return self.reason.partition(":")[0]


# Why a presentation is skipped: its media (see ``models.media``), or the judge (endpoint) failing on it.
JUDGE_GAVE_UP = "judge gave up"
JUDGE_REFUSED = "judge refused"
SKIP_KINDS = ("missing media", "media outside --media-root", "media not a file", "corrupt media", JUDGE_GAVE_UP,
              JUDGE_REFUSED)  # fmt: skip


class ModelUnderTest(Protocol):
    """The reward model under evaluation (or a baseline): ``judge(batch, k)`` returns, per presentation, ``k``
    samples in generation order, or a :class:`Skip` saying why it could not be judged."""

    name: str
    needs_media: bool
    # What is judged: the model folder or endpoint a model judge reads (baselines have none); recorded in the
    # predictions' header, so a rerun with another model never resumes this one's file.
    source: str | None = None

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample] | Skip]: ...

    def close(self) -> None: ...
