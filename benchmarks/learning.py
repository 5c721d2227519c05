"""Does the CPU demo learn on every seed? Its stages for several seeds, and the toy controls on each RL checkpoint.

    python benchmarks/learning.py --seeds 3 [--out outputs/learning] [any r1_reward.cpu.demo option]

Each seed runs ``r1_reward.cpu.demo.run_stages`` (build → cold-start SFT → eval → StableReinforce → eval) in
``<out>/seed<k>``, with the seed moving the model's weights, the toy pairs, the SFT answer coins and the trainers.
Then the RL checkpoint is evaluated on the held-out controls of ``r1_reward.data.toy_controls``: another pair's
picture (``shuffled_images``) and another pair's responses (``foreign_responses``) must put a model that reads both
the image and the responses back at chance (50%); an in-pair swap (``in_pair_swap``, label kept) must score about
100% minus its accuracy, showing that it follows the responses' text. Prints one row per seed, then the minimum and
the spread (max − min) of every column; writes ``<out>/learning.json`` and ``<out>/learning.md``.
"""

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

from r1_reward.cpu import demo
from r1_reward.data.toy_controls import CONTROLS, write_controls

# Table columns: (title, where the value is in a seed's row).
COLUMNS = (
    ("SFT acc", ("after SFT", "overall_acc")),
    ("RL acc", ("after RL", "overall_acc")),
    ("gain", ("gain",)),
    ("SFT agree", ("after SFT", "reasoning_agrees_rate")),
    ("RL agree", ("after RL", "reasoning_agrees_rate")),
    ("RL reasoning right", ("after RL", "reasoning_right_rate")),
    ("RL unparseable", ("after RL", "unparseable_rate")),
    ("RL position bias", ("after RL", "position_bias")),
    *((control, ("controls", control)) for control in CONTROLS),
    ("wall s", ("wall_s",)),
)


def controls(summary: dict, env: dict[str, str]) -> dict[str, float | None]:
    """Held-out accuracy (%) of the RL checkpoint on each control split written beside the test parquet."""
    rl_model, out = Path(summary["paths"]["rl_model"]), Path(summary["paths"]["eval"])
    found = {}
    for control, path in write_controls(summary["paths"]["test"]).items():
        found[control] = demo.figures(demo.evaluate(rl_model, path, out / f"rl_{control}.json", env))["overall_acc"]
    return found


def seed_row(seed: int, summary: dict, control_acc: dict[str, float | None], wall_s: float) -> dict:
    """One seed's figures: the demo's after-SFT and after-RL figures, the gain, the controls, the wall time."""
    sft, rl = summary["figures"]["after SFT"], summary["figures"]["after RL"]
    return {"seed": seed, "after SFT": sft, "after RL": rl, "gain": rl["overall_acc"] - sft["overall_acc"],
            "controls": control_acc, "wall_s": wall_s, "stage_s": summary["stage_s"]}  # fmt: skip


def value(row: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        row = row.get(key) if isinstance(row, dict) else None
    return row


def table(rows: list[dict]) -> list[str]:
    """Markdown table: one line per seed, then the minimum and the spread (max − min) of each column."""
    head = "| seed | " + " | ".join(title for title, _ in COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for row in rows:
        lines.append(f"| {row['seed']} | " + " | ".join(_cell(value(row, path)) for _, path in COLUMNS) + " |")
    for name, reduce in (("min", min), ("spread", lambda v: max(v) - min(v))):
        cells = []
        for _, path in COLUMNS:
            found = [v for v in (value(row, path) for row in rows) if v is not None]
            cells.append(_cell(reduce(found) if found else None))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _cell(number: float | None) -> str:
    return "–" if number is None else f"{number:.1f}"


def arguments(argv: list[str] | None = None) -> tuple[int, demo.Settings]:
    parser = argparse.ArgumentParser(description="The CPU demo for several seeds, with the toy controls.")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (3)")
    demo.add_options(parser)
    parser.set_defaults(out=Path("outputs/learning"))
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: use 1 or more")
    return args.seeds, demo.settings_from(args)


def main(argv: list[str] | None = None) -> list[dict]:
    seeds, settings = arguments(argv)
    out, rows = settings.out.resolve(), []
    for seed in range(settings.seed, settings.seed + seeds):
        started = time.monotonic()
        summary = demo.run_stages(replace(settings, seed=seed, out=out / f"seed{seed}"), label=f"seed {seed}")
        control_acc = controls(summary, demo.stage_env(out / f"seed{seed}"))
        rows.append(seed_row(seed, summary, control_acc, time.monotonic() - started))
        print("\n".join(table(rows[-1:])[2:3]), flush=True)
    lines = table(rows)
    header = (
        f"learning.py: {seeds} seeds, settings {json.dumps(asdict(settings), default=str)}; figures in %, chance 50"
    )
    (out / "learning.md").write_text("\n".join([header, "", *lines]) + "\n")
    (out / "learning.json").write_text(json.dumps({"settings": asdict(settings), "rows": rows}, indent=1, default=str))
    print("\n" + header + "\n" + "\n".join(lines))
    return rows


if __name__ == "__main__":
    main()
