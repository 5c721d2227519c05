"""Training-dynamics plot of one run from verl's file logger: ``python -m r1_reward.plot <metrics.jsonl> [--out f]``.

verl's ``FileLogger`` (``verl/utils/tracking.py``, on with ``trainer.logger=[console,file]``) writes one line per
step, ``{"step": n, "data": {metric: value}}``. This draws reward, accuracy, format and consistency rate,
``actor/pre_clipfrac``, ``adv_filter/filtered_frac`` and response length against the step. A metric the run never
logged is skipped with a note (in the panel and in the printed list), not an error.
"""

import argparse
import json
import math
from pathlib import Path

# Panel title -> metric names drawn in it (first the trainer's names, then verl's or validation equivalents).
PANELS = {
    "reward": ("reward/mean", "critic/score/mean"),
    "accuracy": ("reward/accuracy", "val/heldout_accuracy"),
    "format rate": ("reward/format_rate",),
    "consistency rate": ("reward/consistency_rate",),
    "pre_clipfrac": ("actor/pre_clipfrac",),
    "filtered_frac": ("adv_filter/filtered_frac",),
    "response length": ("response_length/mean",),
}


def read_metrics(metrics_path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every numeric metric as (step, value) pairs, in file order; blank or truncated lines are skipped."""
    series: dict[str, list[tuple[int, float]]] = {}
    for line in Path(metrics_path).read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a run killed mid-write leaves a partial last line
        for name, value in record.get("data", {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                series.setdefault(name, []).append((int(record["step"]), float(value)))
    return series


def missing_metrics(series: dict) -> list[str]:
    """Panels none of whose metrics the run logged."""
    return [title for title, names in PANELS.items() if not any(name in series for name in names)]


def plot_run(metrics_path: str | Path, out_path: str | Path) -> Path:
    """Draw the run's dynamics into ``out_path`` (PNG) and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = read_metrics(metrics_path)
    if not series:
        raise ValueError(f"{metrics_path} holds no numeric metrics: is it verl's file-logger jsonl (trainer.logger)?")
    fig, axes = plt.subplots(2, 4, figsize=(16, 6.5))
    for ax, (title, names) in zip(axes.flat, PANELS.items()):
        drawn = [name for name in names if name in series]
        for name in drawn:
            steps, values = zip(*series[name])
            ax.plot(steps, values, marker=".", label=name)
        if drawn:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, f"not logged:\n{', '.join(names)}", ha="center", va="center", fontsize=8,
                    transform=ax.transAxes)  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("step")
    axes.flat[-1].axis("off")
    fig.suptitle(Path(metrics_path).name)
    fig.tight_layout()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
    return out_path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Plot a run's training dynamics from verl's file-logger jsonl.")
    parser.add_argument("metrics", type=Path, help="verl file-logger jsonl (lines {'step': n, 'data': {...}})")
    parser.add_argument("--out", type=Path, default=None, help="PNG to write (default: beside the jsonl)")
    args = parser.parse_args(argv)
    out = plot_run(args.metrics, args.out or args.metrics.with_suffix(".png"))
    for title in missing_metrics(read_metrics(args.metrics)):
        print(f"note: {title} not plotted: the run logged none of {', '.join(PANELS[title])}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
