"""The one small interface every judge implements, and the two shared pieces every model judge uses.

A judge turns presentations into ``k`` samples each: the verdict (``"1"``, ``"2"`` or ``None`` when the output is
unparseable) and, where the backend exposes it, the probability of the answer token (for confidence-weighted voting).
"""

from collections.abc import Callable
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


def answer_char_offset(text: str, answer: str | None) -> int | None:
    """Character offset of the verdict digit inside the output's ``<answer>`` pair, or None if there is no verdict."""
    if answer is None:
        return None
    start = text.find("<answer>")
    found = text.find(answer, start + len("<answer>")) if start >= 0 else -1
    return found if found >= 0 else None


def token_index_at(offset: int, n_tokens: int, prefix_text: Callable[[int], str]) -> int:
    """Index of the token that holds character ``offset``: the smallest i with ``len(prefix_text(i + 1)) > offset``.

    ``prefix_text(n)`` decodes the first n generated tokens; binary search keeps this O(log n) decodes.
    """
    low, high = 0, n_tokens - 1
    while low < high:
        middle = (low + high) // 2
        if len(prefix_text(middle + 1)) > offset:
            high = middle
        else:
            low = middle + 1
    return low
