"""Run a judge over a benchmark (resumably) and score predictions into metrics, markdown and a scaling plot.

An item whose media cannot be read (before judging or mid-run) and a presentation on which the judge gives up after
its retries are skipped: recorded in the predictions with the reason, counted in the report, and tried again by a
rerun. ``strict`` stops at the first one instead. A judge that fails ``MAX_JUDGE_FAILURES_IN_A_ROW`` presentations
in a row stops the run (a server that is down would otherwise be asked about every item).
"""

import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from r1_reward.evaluate import report
from r1_reward.evaluate.items import BenchItem, InputError, OrderMode, Presentation, presentations
from r1_reward.evaluate.metrics import compute_metrics
from r1_reward.evaluate.models import ModelUnderTest, Sample, media
from r1_reward.evaluate.models.base import JUDGE_GAVE_UP, JUDGE_REFUSED, Skip
from r1_reward.evaluate.predictions import PredictionStore, fingerprint, read_predictions

MAX_JUDGE_FAILURES_IN_A_ROW = 16


class RunStopped(RuntimeError):
    """The run stopped before its end (``--strict`` at a bad item, or a judge that fails every request); what was
    judged is kept, and rerunning the same command resumes."""


class SkipWatch:
    """Stops the run at the first skipped presentation (``strict``), or when the judge fails many in a row."""

    def __init__(self, strict: bool) -> None:
        self.strict, self.judge_failures_in_a_row = strict, 0

    def check(self, batch: list[Presentation], results: list[list[Sample] | Skip]) -> None:
        for p, result in zip(batch, results):
            if not isinstance(result, Skip):
                self.judge_failures_in_a_row = 0
                continue
            if self.strict:
                raise RunStopped(
                    f"{p.item.key} ({p.slot}) could not be judged: {result.reason}; --strict stops at the first bad "
                    "item (without it the item is skipped and counted); the judged ones are kept, a rerun resumes"
                )
            if result.kind in (JUDGE_GAVE_UP, JUDGE_REFUSED):
                self.judge_failures_in_a_row += 1
            if self.judge_failures_in_a_row >= MAX_JUDGE_FAILURES_IN_A_ROW:
                raise RunStopped(
                    f"the judge failed on {self.judge_failures_in_a_row} presentations in a row (last: "
                    f"{result.reason}): is it up? the judged ones are kept; rerun the same command to resume"
                )


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
    strict: bool = False,
) -> Path:
    """Judge every presentation that has no judged line in ``predictions`` yet, appending batch by batch.

    The header binds the file to these settings and to these items (``data``: their fingerprint), so a rerun resumes
    only the same evaluation; a model judge's media are all checked (inside the media root, a file, decodable) first,
    and the items that fail are recorded as skipped without being judged (``strict``: the first one is raised).
    """
    if samples < 1:
        raise ValueError(f"--samples {samples}: use 1 or more")
    if not items:
        raise InputError("no benchmark items to judge: check --data (and --limit)")
    header = {"benchmark": benchmark, "judge": judge.name, "model": getattr(judge, "source", None), "order": order,
              "samples": samples, "seed": seed}  # fmt: skip
    store = PredictionStore(predictions, {**header, "data": fingerprint(items)})
    todo = store.pending(presentations(items, order, seed))
    if judge.needs_media:
        todo = _skip_bad_media(todo, judge, store, strict)
    watch = SkipWatch(strict)
    with tqdm(total=len(todo), desc=f"judging ({judge.name})", unit="pres") as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            results = judge.judge(batch, samples)
            store.append(batch, results)
            watch.check(batch, results)
            bar.update(len(batch))
    return store.path


def _skip_bad_media(
    todo: list[Presentation], judge: ModelUnderTest, store: PredictionStore, strict: bool
) -> list[Presentation]:
    """Check the media of every pending presentation; record those that fail as skipped and return the rest."""
    max_frames = getattr(judge, "max_frames", media.MAX_FRAMES)
    bad = media.check_all([p.item for p in todo], getattr(judge, "media_root", None), max_frames, strict)
    skipped = [p for p in todo if p.item.key in bad]
    if skipped:
        store.append(skipped, [Skip(bad[p.item.key].reason) for p in skipped])
    return [p for p in todo if p.item.key not in bad]


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
    strict: bool = False,
) -> dict:
    """Python API of ``run``: judge (resuming), then score and write outputs; returns the metrics (skipped
    presentations are counted in them; ``strict`` raises at the first one instead)."""
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
        strict=strict,
    )
    return score(path, out)
