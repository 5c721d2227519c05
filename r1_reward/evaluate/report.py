"""Human-readable outputs of a run: a markdown table of the metrics and the accuracy-vs-k plot (paper Fig. 3)."""

from pathlib import Path
from typing import Any


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _summary_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("overall_acc", _pct(metrics["overall_acc"]))]
    names = ("macro_acc", "macro_acc_paper", "acc_plus", "position_bias", "slot1_rate", "unparseable_rate",
             "reasoning_agrees_rate", "reasoning_right_rate")  # fmt: skip
    for name in names:
        if metrics.get(name) is not None:
            rows.append((name, _pct(metrics[name])))
    scale = metrics.get("scaling")
    if scale:
        rows += [(name, _pct(value)) for name, value in scale.items() if "@" in name]
        rows.append(("early_stop acc", _pct(scale["early_stop"]["acc"])))
        rows.append(("early_stop mean samples", f"{scale['early_stop']['mean_samples']:.2f}"))
    return rows


def _category_table(metrics: dict[str, Any]) -> list[str]:
    plus = metrics.get("per_category_acc_plus")
    head = "| category | presentations | acc |" + (" acc+ |" if plus else "")
    lines = [head, "|---|---:|---:|" + ("---:|" if plus else "")]
    for name, acc in metrics["per_category"].items():
        row = f"| {name} | {metrics['per_category_n'][name]} | {_pct(acc)} |"
        lines.append(row + (f" {_pct(plus[name])} |" if plus else ""))
    paper = metrics.get("per_category_paper")
    if paper:
        lines += [
            "",
            "Authors' case-sensitive grouping (`per_category_paper`):",
            "",
            "| category | acc |",
            "|---|---:|",
        ]
        lines += [f"| {name} | {_pct(acc)} |" for name, acc in paper.items()]
    return lines


def _skipped_section(metrics: dict[str, Any]) -> list[str]:
    """How many presentations were skipped and why, and the headline metrics with them counted as wrong."""
    if not metrics.get("n_skipped"):
        return []
    lines = [
        f"Skipped: {metrics['n_skipped']} presentations ({metrics['n_skipped_items']} items), left out of the metrics "
        "above; the predictions file holds each one's reason, and a rerun of the same command tries them again.",
        "",
        "| reason | presentations |",
        "|---|---:|",
    ]
    lines += [f"| {reason} | {count} |" for reason, count in metrics["skipped_reasons"].items()]
    lines += ["", "With skipped presentations counted as wrong (the benchmark's official protocol: every item counts):"]
    lines += ["", "| metric | value |", "|---|---:|"]
    lines += [f"| {name} | {_pct(value)} |" for name, value in metrics["with_skipped_as_wrong"].items()]
    return ["", *lines]


def markdown(metrics: dict[str, Any]) -> str:
    """The metrics as markdown tables (accuracies in percent), and the skipped presentations if any."""
    title = (
        f"### {metrics['benchmark']} · judge `{metrics['judge']}` · order `{metrics['order']}` · "
        f"k = {metrics['samples']} · {metrics['n_items']} items, {metrics['n_presentations']} presentations judged"
    )
    lines = [title, "", "| metric | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in _summary_rows(metrics)]
    return "\n".join([*lines, *_skipped_section(metrics), "", *_category_table(metrics)]) + "\n"


CHANCE_PCT = 50.0  # two answers: a coin is right half the time


def plot_scaling(metrics: dict[str, Any], path: str | Path) -> Path:
    """Accuracy of vote@k, confidence-weighted@k and any@k against k on a 0–100 % axis with a chance line (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    curve = metrics["scaling"]["curve"]
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(curve["k"], [100 * v for v in curve["vote"]], marker="o", label="vote@k")
    if "confidence" in curve:  # predictions scored before this curve existed lack it
        ax.plot(curve["k"], [100 * v for v in curve["confidence"]], marker="^", label="confidence-weighted@k")
    ax.plot(curve["k"], [100 * v for v in curve["any"]], marker="s", label="any@k")
    ax.axhline(CHANCE_PCT, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_ylim(0, 102)  # accuracy never leaves 0–100 %; autoscaling put a flat 0 % curve on a negative axis
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("samples k")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{metrics['benchmark']} · {metrics['judge']}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
