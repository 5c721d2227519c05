"""Toy multimodal preference task: pictures of coloured shapes, a question, one right and one wrong response.

Small enough for a tiny model on a CPU, yet it has the shape of the real task: the policy sees an image and the
paper's Table 1 prompt with two responses and must answer which one is right. Everything is drawn with PIL from a
seed; the right response is Response 1 in exactly half of each split. Written as verl parquet:

- ``{split}.parquet`` (RL): ``prompt`` (chat list, ``<image>`` placeholder), ``images`` (``[{"bytes": png}]``),
  ``data_source``, ``ability``, ``reward_model`` (``{"style": "rule", "ground_truth": "1"|"2"}``), ``extra_info``.
- ``sft_{split}.parquet`` (cold start): ``messages`` (user turn as above, assistant turn
  ``<think>…</think><answer>k</answer>``) and ``images``, the format of verl's multi-turn SFT dataset.

The cold start teaches the reasoning but, by default, not the decision: every target's reasoning names the right
response, while its ``<answer>`` digit agrees with that reasoning in exactly half of the rows (``SFT_ANSWERS``). That
is §3.2's failure made on purpose: reasoning and final answer disagree, and RL with the consistency reward has to
make them agree (``r1_reward.cpu.demo``). ``sft_answers="label"`` writes fully correct targets instead.

``python -m r1_reward.data.toy --out DIR`` writes train and test splits of both.
"""

import argparse
import io
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from PIL import Image, ImageDraw

from r1_reward.prompt import build_prompt

DATA_SOURCE = "r1_reward_toy"
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 200, 30)}
SHAPES = ("circle", "square", "triangle")
NUMBERS = ("one", "two", "three", "four")
KINDS = ("colour", "shape", "count")
# What the cold-start target's <answer> digit is: "coin" (agrees with the reasoning in exactly half of the rows, the
# other half names the other response) or "label" (always the right response, as the reasoning).
SFT_ANSWERS = ("coin", "label")
SIDE = 112  # 112×112 px: 16 image tokens for the tiny Qwen2.5-VL (r1_reward.cpu.tiny_model)


@dataclass(frozen=True)
class ToyPair:
    """One preference item: the question, both responses in prompt order, and which one is right."""

    kind: str
    question: str
    answer1: str
    answer2: str
    label: str  # "1" or "2": the right response
    description: str  # what the picture shows, in words (used for the cold-start reasoning)
    image: bytes  # PNG


def draw(shape: str, colour: str, count: int, rng: random.Random) -> bytes:
    """PNG of ``count`` equal shapes on white, one per quadrant cell, jittered."""
    image = Image.new("RGB", (SIDE, SIDE), "white")
    pen = ImageDraw.Draw(image)
    cell = SIDE // 2
    size = cell - 12 if count > 1 else SIDE - 40
    cells = rng.sample([(0, 0), (cell, 0), (0, cell), (cell, cell)], count) if count > 1 else [(14, 14)]
    for x0, y0 in cells:
        x, y = x0 + rng.randint(2, 8), y0 + rng.randint(2, 8)
        box = (x, y, x + size, y + size)
        if shape == "circle":
            pen.ellipse(box, fill=COLOURS[colour])
        elif shape == "square":
            pen.rectangle(box, fill=COLOURS[colour])
        else:
            pen.polygon([(x + size // 2, y), (x, y + size), (x + size, y + size)], fill=COLOURS[colour])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _question(kind: str, shape: str, colour: str, count: int, rng: random.Random) -> tuple[str, str, str]:
    """(question, right response, wrong response) for one picture."""
    if kind == "colour":
        wrong = rng.choice([c for c in COLOURS if c != colour])
        return "What colour is the shape?", f"The shape is {colour}.", f"The shape is {wrong}."
    if kind == "shape":
        wrong = rng.choice([s for s in SHAPES if s != shape])
        return "What shape is in the image?", f"It is a {shape}.", f"It is a {wrong}."
    wrong = rng.choice([n for n in NUMBERS if n != NUMBERS[count - 1]])
    return "How many shapes are there?", f"There are {NUMBERS[count - 1]}.", f"There are {wrong}."


def make_pair(kind: str, right_first: bool, rng: random.Random) -> ToyPair:
    """Draw a random picture and pose a ``kind`` question about it, right response first or second."""
    shape, colour = rng.choice(SHAPES), rng.choice(list(COLOURS))
    count = rng.randint(1, 4) if kind == "count" else 1
    question, right, wrong = _question(kind, shape, colour, count, rng)
    first, second = (right, wrong) if right_first else (wrong, right)
    description = f"{NUMBERS[count - 1]} {colour} {shape}{'s' if count > 1 else ''}"
    label = "1" if right_first else "2"
    return ToyPair(kind, question, first, second, label, description, draw(shape, colour, count, rng))


def generate(n: int, seed: int, kinds: tuple[str, ...] = KINDS) -> list[ToyPair]:
    """``n`` pairs (even), kinds in turn, with the right response first in exactly n/2 of them, in random order."""
    if n % 2:
        raise ValueError(f"n={n} is odd: the answer order is balanced exactly 1:1, so ask for an even number of pairs")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown toy kinds {sorted(unknown)}: choose from {KINDS}")
    rng = random.Random(seed)
    orders = [True] * (n // 2) + [False] * (n // 2)
    rng.shuffle(orders)
    return [make_pair(kinds[i % len(kinds)], right_first, rng) for i, right_first in enumerate(orders)]


def user_turn(pair: ToyPair) -> dict:
    """The user message: the image placeholder, then Table 1's prompt."""
    return {"role": "user", "content": "<image>" + build_prompt(pair.question, pair.answer1, pair.answer2)}


def key_word(response: str) -> str:
    """The word a toy response turns on (its colour, shape or number): the last word, without the full stop."""
    return response.rstrip(".").split()[-1]


def cold_start_target(pair: ToyPair, answer: str | None = None) -> str:
    """A short correct reasoning in the R1-Reward output format, then ``answer`` (default: the right response).

    Three short steps, each easy for a tiny model, with the decision made at one token: name what the image shows
    (the asked-about word), name the response that says it (the deciding comparison: the digit), then conclude with
    that response as a preference statement the rule judge reads:
    ``The image shows red. Response 2 says red. Response 2 is better.`` Longer chains (copying both responses' words,
    or a yes/no per response) left a 198k-parameter model unparseable after 300 SFT steps (README "CPU").
    """
    shown = {"colour": 1, "shape": 2, "count": 0}[pair.kind]
    seen = pair.description.split()[shown].rstrip("s") if pair.kind == "shape" else pair.description.split()[shown]
    right = pair.answer1 if pair.label == "1" else pair.answer2
    reasoning = (
        f"The image shows {seen}. Response {pair.label} says {key_word(right)}. Response {pair.label} is better."
    )
    return f"<think>{reasoning}</think><answer>{answer or pair.label}</answer>"


def rl_frame(pairs: list[ToyPair], split: str) -> pd.DataFrame:
    """verl RLHF rows (see the module docstring)."""
    rows = []
    for index, pair in enumerate(pairs):
        info = {k: v for k, v in asdict(pair).items() if k != "image"} | {"index": index, "split": split}
        rows.append({
            "data_source": DATA_SOURCE,
            "prompt": [user_turn(pair)],
            "images": [{"bytes": pair.image}],
            "ability": "preference",
            "reward_model": {"style": "rule", "ground_truth": pair.label},
            "extra_info": info,
        })  # fmt: skip
    return pd.DataFrame(rows)


def answer_digits(pairs: list[ToyPair], mode: str, seed: int) -> list[str]:
    """The ``<answer>`` digit of each cold-start target: the label, or (``coin``) the label in exactly half of the
    rows, chosen by ``seed``, and the other response in the rest."""
    if mode not in SFT_ANSWERS:
        raise ValueError(f"unknown SFT answer mode {mode!r}: choose from {SFT_ANSWERS}")
    if mode == "label":
        return [pair.label for pair in pairs]
    agrees = [True] * ((len(pairs) + 1) // 2) + [False] * (len(pairs) // 2)
    # Not random.Random(seed): ``generate`` shuffles a list of the same shape with it, so the coins would equal the
    # answer order and every answer would be "1".
    random.Random(f"coin {seed}").shuffle(agrees)
    return [pair.label if agree else {"1": "2", "2": "1"}[pair.label] for pair, agree in zip(pairs, agrees)]


def sft_frame(pairs: list[ToyPair], answers: str = "coin", seed: int = 0) -> pd.DataFrame:
    """verl multi-turn SFT rows: the user turn and the cold-start target, its answer digit by ``answers``."""
    rows = []
    for pair, digit in zip(pairs, answer_digits(pairs, answers, seed)):
        reply = {"role": "assistant", "content": cold_start_target(pair, digit)}
        rows.append({"messages": [user_turn(pair), reply], "images": [{"bytes": pair.image}]})
    return pd.DataFrame(rows)


def write(
    out: str | Path, n_train: int = 64, n_test: int = 32, seed: int = 0, kinds=KINDS, sft_answers: str = "coin"
) -> dict[str, Path]:
    """Write RL and SFT parquet for a train and a held-out test split (different seeds); return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, n, split_seed in (("train", n_train, seed), ("test", n_test, seed + 1_000_003)):
        pairs = generate(n, split_seed, tuple(kinds))
        paths[split] = out / f"{split}.parquet"
        paths[f"sft_{split}"] = out / f"sft_{split}.parquet"
        rl_frame(pairs, split).to_parquet(paths[split])
        sft_frame(pairs, sft_answers, split_seed).to_parquet(paths[f"sft_{split}"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the toy multimodal preference task as verl parquet.")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--train", type=int, default=64, help="train pairs (even)")
    parser.add_argument("--test", type=int, default=32, help="held-out pairs (even)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated question kinds from {KINDS}")
    parser.add_argument(
        "--sft-answers", default="coin", choices=SFT_ANSWERS,
        help="cold-start <answer> digit: coin (agrees with the reasoning in half the rows) or label (always right)",
    )  # fmt: skip
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    for name, path in write(args.out, args.train, args.test, args.seed, kinds, args.sft_answers).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
