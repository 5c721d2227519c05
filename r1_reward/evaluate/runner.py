"""Run a judge over a benchmark (resumably) and score predictions into metrics, markdown and a scaling plot."""

import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from r1_reward.evaluate import report
from r1_reward.evaluate.items import BenchItem, InputError, OrderMode, presentations
from r1_reward.evaluate.metrics import compute_metrics
from r1_reward.evaluate.models import ModelUnderTest, media
from r1_reward.evaluate.predictions import PredictionStore, fingerprint, read_predictions


def default_predictions_path(out: str | Path) -> Path:
    """``results.json`` → ``results.predictions.jsonl`` beside it."""
    out = Path(out)
    return out.with_name(out.stem + ".predictions.jsonl")


def judge_all(
    items: list[BenchItem],
    judge: ModelUnderTest,
    *,
    benchmark: str,
    predictions: str | Path,
    order: OrderMode = "both",
    samples: int = 1,
    seed: int = 0,
    batch_size: int = 16,
) -> Path:
    """Judge every presentation that has no line in ``predictions`` yet, appending batch by batch.

    The header binds the file to these settings and to these items (``data``: their fingerprint), so a rerun resumes
    only the same evaluation; a model judge's media are all checked (inside the media root, decodable) first.
    """
    if samples < 1:
        raise ValueError(f"--samples {samples}: use 1 or more")
    if not items:
        raise InputError("no benchmark items to judge: check --data (and --limit)")
    header = {"benchmark": benchmark, "judge": judge.name, "order": order, "samples": samples, "seed": seed}
    store = PredictionStore(predictions, {**header, "data": fingerprint(items)})
    todo = store.pending(presentations(items, order, seed))
    if judge.needs_media:
        max_frames = getattr(judge, "max_frames", media.MAX_FRAMES)
        media.check_all([p.item for p in todo], getattr(judge, "media_root", None), max_frames)
    with tqdm(total=len(todo), desc=f"judging ({judge.name})", unit="pres") as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            store.append(batch, judge.judge(batch, samples))
            bar.update(len(batch))
    return store.path


def score(predictions: str | Path, out: str | Path | None = None) -> dict[str, Any]:
    """Recompute every metric from a predictions file; with ``out``, also write JSON, markdown and the plot."""
    header, records = read_predictions(predictions)
    if not records:
        raise InputError(f"{predictions} holds no judged presentation: nothing to score (run 'evaluate run' first)")
    metrics = compute_metrics(header, records)
    if out is not None:
        write_outputs(metrics, out)
    return metrics


def write_outputs(metrics: dict[str, Any], out: str | Path) -> list[Path]:
    """``out`` (JSON), ``<out>.md`` (tables) and, when k > 1, ``<out>.scaling.png``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    written = [out, out.with_suffix(".md")]
    written[1].write_text(report.markdown(metrics), encoding="utf-8")
    if "scaling" in metrics:
        written.append(report.plot_scaling(metrics, out.with_name(out.stem + ".scaling.png")))
    return written


def evaluate(
    items: list[BenchItem],
    judge: ModelUnderTest,
    *,
    benchmark: str,
    out: str | Path,
    order: OrderMode = "both",
    samples: int = 1,
    seed: int = 0,
    batch_size: int = 16,
    predictions: str | Path | None = None,
) -> dict:
    """Python API of ``run``: judge (resuming), then score and write outputs; returns the metrics."""
    path = predictions or default_predictions_path(out)
    judge_all(
        items,
        judge,
        benchmark=benchmark,
        predictions=path,
        order=order,
        samples=samples,
        seed=seed,
        batch_size=batch_size,
    )
    return score(path, out)
