"""The one small interface every judge implements.

A judge turns presentations into ``k`` samples each: the verdict (``"1"``, ``"2"`` or ``None`` when the output is
unparseable) and, where the backend exposes it, the probability of the answer token (for confidence-weighted voting).
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


class ModelUnderTest(Protocol):
    """The reward model under evaluation (or a baseline): ``judge(batch, k)`` returns, per presentation, ``k``
    samples in generation order."""

    name: str
    needs_media: bool

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample]]: ...

    def close(self) -> None: ...
