"""The reference judges reported in reward-bench papers; they read only the text and need no model or image.

- ``random``: a fair coin per sample, seeded by (seed, item key, slot, sample index), so results do not depend on
  batching, resumption or the order items are judged in.
- ``first``: always Response 1 (scores 100% when the preferred answer is always shown first).
- ``longer``: the response with more characters; a tie goes to Response 1.
"""

import random
from dataclasses import dataclass

from r1_reward.evaluate.items import Presentation
from r1_reward.evaluate.models.base import Sample


@dataclass
class RandomBaseline:
    """A seeded coin flip per sample."""

    seed: int = 0
    name: str = "random"
    needs_media: bool = False

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample]]:
        out = []
        for p in batch:
            coins = [random.Random(f"{self.seed}|judge|{p.item.key}|{p.slot}|{i}").random() for i in range(k)]
            out.append([Sample("1" if coin < 0.5 else "2", prob=0.5) for coin in coins])
        return out

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FirstBaseline:
    """Always answers Response 1."""

    name: str = "first"
    needs_media: bool = False

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample]]:
        return [[Sample("1", prob=1.0)] * k for _ in batch]

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class LongerBaseline:
    """Answers the slot whose response has more characters; Response 1 on a tie."""

    name: str = "longer"
    needs_media: bool = False

    def judge(self, batch: list[Presentation], k: int) -> list[list[Sample]]:
        verdicts = ["2" if len(p.response2) > len(p.response1) else "1" for p in batch]
        return [[Sample(verdict, prob=1.0)] * k for verdict in verdicts]

    def close(self) -> None:
        """Nothing to release."""
