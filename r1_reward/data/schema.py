"""verl's RLHF dataset schema for R1-Reward pairs, and the seeded 1:1 balancing of answer positions.

A row: ``prompt`` (one user turn: ``<image>`` then the Table 1 prompt), ``images`` (``[{"bytes": …}]``),
``data_source``, ``ability``, ``reward_model`` (``{"style": "rule", "ground_truth": "1"|"2"}``) and
``extra_info`` (where the row came from, how it was ordered and, after ``annotate``, its difficulty).
See data/README.md.
"""

import random

import pyarrow as pa

from r1_reward.data.pairs import Pair
from r1_reward.prompt import build_prompt

IMAGE_PLACEHOLDER = "<image>"
ABILITY = "multimodal_reward"

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
EXTRA_INFO = pa.struct(
    [
        ("index", pa.int64()),
        ("source", pa.string()),
        ("source_id", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("original_label", pa.int64()),
        ("swapped", pa.bool_()),
        ("question", pa.string()),
        ("answer1", pa.string()),
        ("answer2", pa.string()),
        ("attempts", pa.int64()),
        ("annotator_correct", pa.bool_()),
    ]
)
IMAGES = pa.list_(pa.struct([("bytes", pa.binary())]))
REWARD_MODEL = pa.struct([("style", pa.string()), ("ground_truth", pa.string())])
RL_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("prompt", pa.list_(MESSAGE)),
        ("images", IMAGES),
        ("ability", pa.string()),
        ("reward_model", REWARD_MODEL),
        ("extra_info", EXTRA_INFO),
    ]
)
# The SFT parquet (verl's MultiTurnSFTDataset): the same row with the annotator's reply as an assistant turn.
SFT_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("messages", pa.list_(MESSAGE)),
        ("images", IMAGES),
        ("ability", pa.string()),
        ("reward_model", REWARD_MODEL),
        ("extra_info", EXTRA_INFO),
    ]
)


class OrderBalancer:
    """Seeded positions for the chosen response with |#answer 1 − #answer 2| ≤ 1 at every prefix.

    Rows are taken two at a time: one random bit puts the first row's chosen answer at position 1 or 2 and
    the second row's at the other, so the split is exactly 1:1 (±1 for an odd count) yet unpredictable.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._pending: int | None = None

    def next_label(self) -> int:
        if self._pending is not None:
            label, self._pending = self._pending, None
            return label
        label = self._rng.choice((1, 2))
        self._pending = 3 - label
        return label


def user_content(question: str, answer1: str, answer2: str) -> str:
    """The user turn: the image placeholder verl's RLHFDataset expands, then Table 1's prompt."""
    return IMAGE_PLACEHOLDER + build_prompt(question, answer1, answer2)


def rl_row(pair: Pair, label: int, image: bytes, *, source: str, source_file: str, line: int, index: int) -> dict:
    """One row of the RL parquet with the chosen response placed at position ``label`` (1 or 2)."""
    answer1, answer2 = (pair.chosen, pair.rejected) if label == 1 else (pair.rejected, pair.chosen)
    extra = {
        "index": index,
        "source": source,
        "source_id": pair.source_id,
        "source_file": source_file,
        "source_line": line,
        "original_label": pair.original_label,
        "swapped": label != pair.original_label,
        "question": pair.question,
        "answer1": answer1,
        "answer2": answer2,
        "attempts": None,
        "annotator_correct": None,
    }
    return {
        "data_source": f"r1_reward/{source}",
        "prompt": [{"role": "user", "content": user_content(pair.question, answer1, answer2)}],
        "images": [{"bytes": image}],
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": str(label)},
        "extra_info": extra,
    }


def place_chosen(row: dict, label: int) -> dict:
    """Re-order an RL row so its preferred response sits at position ``label``, rebuilding the prompt."""
    if row["reward_model"]["ground_truth"] == str(label):
        return row
    extra = row["extra_info"]
    extra["answer1"], extra["answer2"] = extra["answer2"], extra["answer1"]
    extra["swapped"] = label != extra["original_label"]
    row["prompt"] = [{"role": "user", "content": user_content(extra["question"], extra["answer1"], extra["answer2"])}]
    row["reward_model"] = {"style": "rule", "ground_truth": str(label)}
    return row
