"""Controls for the toy task: held-out splits where the picture or the responses no longer belong to the question.

A model that answers from the image *and* both responses must fall back to chance on both controls; a model that
learnt a shortcut (answer order, response wording, the picture alone) would not. Labels are kept, so chance is 50%.

- ``shuffled_images``: every row gets the picture of another row (a derangement), everything else unchanged.
- ``foreign_responses``: every row gets the two responses (in their order) of another row, its own picture and label.

Swapping a row's own two responses with its label kept is no control: a model that reads the responses then scores
100% minus its accuracy (``in_pair_swap`` writes that split too, as a check that the model follows the text).
``python -m r1_reward.data.toy_controls --test DIR/test.parquet`` writes all three beside it.
"""

import argparse
import random
from pathlib import Path

import pandas as pd

from r1_reward.prompt import build_prompt

CONTROLS = ("shuffled_images", "foreign_responses", "in_pair_swap")


def derangement(n: int, seed: int) -> list[int]:
    """A permutation of ``range(n)`` that moves every index (n ≥ 2)."""
    if n < 2:
        raise ValueError(f"a control needs at least 2 rows to exchange between them, got {n}")
    rng = random.Random(seed)
    while True:
        order = list(range(n))
        rng.shuffle(order)
        if all(i != j for i, j in enumerate(order)):
            return order


def _with_responses(row: pd.Series, answer1: str, answer2: str) -> dict:
    """``row`` (a toy RL row) asking about ``answer1``/``answer2`` instead, label unchanged."""
    info = dict(row["extra_info"]) | {"answer1": answer1, "answer2": answer2}
    prompt = [dict(turn) for turn in row["prompt"]]
    prompt[0]["content"] = "<image>" + build_prompt(info["question"], answer1, answer2)
    return dict(row) | {"extra_info": info, "prompt": prompt}


def control_frame(frame: pd.DataFrame, control: str, seed: int = 0) -> pd.DataFrame:
    """The ``control`` version of a toy RL frame (see the module docstring)."""
    if control not in CONTROLS:
        raise ValueError(f"unknown control {control!r}: choose from {CONTROLS}")
    rows = [row for _, row in frame.iterrows()]
    if control == "in_pair_swap":
        out = [_with_responses(row, row["extra_info"]["answer2"], row["extra_info"]["answer1"]) for row in rows]
        return pd.DataFrame(out)
    order = derangement(len(rows), seed)
    if control == "shuffled_images":
        return pd.DataFrame([dict(row) | {"images": rows[j]["images"]} for row, j in zip(rows, order)])
    donors = [rows[j]["extra_info"] for j in order]
    return pd.DataFrame([_with_responses(row, d["answer1"], d["answer2"]) for row, d in zip(rows, donors)])


def write_controls(test_file: str | Path, seed: int = 0) -> dict[str, Path]:
    """Write ``<stem>_<control>.parquet`` beside a toy RL test file for every control; return their paths."""
    test_file = Path(test_file)
    frame = pd.read_parquet(test_file)
    paths = {}
    for control in CONTROLS:
        paths[control] = test_file.with_name(f"{test_file.stem}_{control}.parquet")
        control_frame(frame, control, seed).to_parquet(paths[control])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the toy task's control splits beside a test parquet.")
    parser.add_argument("--test", required=True, help="toy RL test parquet (python -m r1_reward.data.toy)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, path in write_controls(args.test, args.seed).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
