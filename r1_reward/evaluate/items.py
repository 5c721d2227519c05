"""What the evaluator judges: benchmark items, and the presentations (answer orders) shown to a judge.

An item is one (question, preferred answer, other answer) triple; a presentation puts it in front of a judge with
the preferred answer in slot 1 (``chosen_first``) or slot 2 (``chosen_second``). The gold verdict of a presentation
is the slot that holds the preferred answer.
"""

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Slot = Literal["chosen_first", "chosen_second"]
OrderMode = Literal["both", "random", "chosen_first"]
ORDER_MODES: tuple[str, ...] = ("both", "random", "chosen_first")
MediaKind = Literal["image", "video", "none"]


class InputError(ValueError):
    """The run's input cannot be used as given (benchmark file, media, predictions file); the message names the fix."""


@dataclass(frozen=True)
class BenchItem:
    """One preference pair of a benchmark.

    ``key`` is unique within a file even where ids repeat (``"<id>#<n>"``, n = 0 for the id's first row); ``media``
    holds image paths or one video-frame folder, relative to a media root, and is only opened by judges that need it.
    """

    key: str
    id: str
    prompt: str
    chosen: str
    rejected: str
    category: str
    media: tuple[str, ...] = ()
    media_kind: MediaKind = "none"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Presentation:
    """An item shown with the preferred answer in one slot; ``gold`` is the verdict a perfect judge gives."""

    item: BenchItem
    slot: Slot

    @property
    def response1(self) -> str:
        return self.item.chosen if self.slot == "chosen_first" else self.item.rejected

    @property
    def response2(self) -> str:
        return self.item.rejected if self.slot == "chosen_first" else self.item.chosen

    @property
    def gold(self) -> str:
        return "1" if self.slot == "chosen_first" else "2"


def stable_keys(ids: Iterable[str]) -> list[str]:
    """``"<id>#<n>"`` per row, n counting earlier rows with the same id, so duplicate ids get distinct keys."""
    seen: Counter[str] = Counter()
    keys = []
    for item_id in ids:
        keys.append(f"{item_id}#{seen[item_id]}")
        seen[item_id] += 1
    return keys


def presentations(items: list[BenchItem], order: OrderMode, seed: int = 0) -> list[Presentation]:
    """Expand items into presentations: ``both`` gives two per item, ``random`` one seeded per item key."""
    if order not in ORDER_MODES:
        raise ValueError(f"order {order!r} is unknown: use one of {', '.join(ORDER_MODES)}")
    if order == "chosen_first":
        return [Presentation(item, "chosen_first") for item in items]
    if order == "both":
        return [Presentation(item, slot) for item in items for slot in ("chosen_first", "chosen_second")]
    slots: tuple[Slot, Slot] = ("chosen_first", "chosen_second")
    return [Presentation(item, random.Random(f"{seed}|order|{item.key}").choice(slots)) for item in items]
