"""Hydra sweeps (``python -m r1_reward.main_ppo -m ...``): a name per run and one table of every run's final metrics.

``SweepCallback`` (wired in ``conf/r1_reward.yaml``) gives every run ``trainer.experiment_name`` = its overrides, so
runs never share a tracker run; each run's outputs (checkpoints, ``metrics.jsonl``, logs) go to its own output dir,
its run folder (``r1_reward/run_folder.py``). After each run it saves the run's overrides, status and final metrics
as ``result.json`` in that folder; after the sweep it writes ``summary.csv`` (every metric) and ``summary.md`` (the
main ones) in the sweep dir. Final metrics come from verl's ``file`` logger (``trainer.logger`` must include
``file``). ``python -m r1_reward.cluster.sweep SWEEP_DIR`` rebuilds the table, e.g. for a Slurm sweep whose
submitting process was gone before its jobs ended.
"""

import argparse
import csv
import fnmatch
import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, TypedDict

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from r1_reward.run_folder import metrics_file

log = logging.getLogger(__name__)

RESULT_FILE = "result.json"
NAME_KEY = "trainer.experiment_name"
RUN_NAME_RESOLVER = "r1_reward.run_name"
# Resolved per job, in the driver: Hydra's own "key=value,..." of the job's overrides (the name itself excluded).
RUN_NAME_OVERRIDE = NAME_KEY + "='${" + RUN_NAME_RESOLVER + ":${hydra:job.override_dirname}}'"  # quoted: nested
MAX_NAME_CHARS = 200  # with ".jsonl", well under the 255-byte file-name limit


def run_name(override_dirname: str) -> str:
    """A run name that is one valid file name: '/' in values (paths) -> '_'; a long name is cut, plus a hash of it.

    It names the run's folder (``hydra.sweep.subdir``), and verl's file logger writes ``<project>/<name>.jsonl``
    when a user points ``VERL_FILE_LOGGER_ROOT`` at a shared folder.
    """
    name = override_dirname.replace("/", "_")
    if len(name) > MAX_NAME_CHARS:
        name = f"{name[: MAX_NAME_CHARS - 9]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


# Hydra imports this module to build the callback, before any sweep job resolves its name or output dir.
OmegaConf.register_new_resolver(RUN_NAME_RESOLVER, run_name, replace=True)
DEFAULT_COLUMNS = (
    "critic/score/mean",
    "response_length/mean",
    "actor/pre_clipfrac",
    "adv_filter/filtered_frac",
    "*accuracy*",
    "*consistency_rate*",
    "*format_rate*",
    "val-core/*",
)


class RunResult(TypedDict):
    """What one sweep run left behind: its name, how it ended and its last value of every logged metric."""

    run: str
    experiment_name: str
    overrides: list[str]
    status: str
    error: str
    metrics: dict[str, float]


def final_metrics(jsonl: Path) -> dict[str, float]:
    """Last logged value of every metric in a verl ``file``-logger JSONL (``{"step": s, "data": {...}}`` lines)."""
    final: dict[str, float] = {}
    for line in jsonl.read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        final.update({key: value for key, value in record["data"].items() if isinstance(value, int | float)})
        final["step"] = record["step"]
    return final


def run_error(job_return: JobReturn) -> str:
    """The exception a failed Hydra job raised, as ``Type: message`` (``return_value`` re-raises it)."""
    try:
        _ = job_return.return_value
    except Exception as exception:  # whatever crashed the run is reported, never swallowed
        return f"{type(exception).__name__}: {exception}"
    return ""


def job_result(job_return: JobReturn, run: str, run_dir: Path) -> RunResult:
    """The ``RunResult`` of a finished Hydra job; a crashed run or a missing metrics file is said so, not hidden."""
    failed = job_return.status == JobStatus.FAILED
    error = run_error(job_return) if failed else ""
    path = metrics_file(run_dir, job_return.cfg, dict(os.environ))
    metrics = final_metrics(path) if path.exists() else {}
    if not failed and not metrics:
        error = f"no metrics at {path}: add 'file' to trainer.logger"
    return RunResult(
        run=run,
        experiment_name=str(job_return.cfg.trainer.experiment_name),
        overrides=[str(override) for override in job_return.overrides or [] if not sets_name(str(override))],
        status="FAILED" if failed else "COMPLETED",
        error=error,
        metrics=metrics,
    )


def load_results(sweep_dir: Path) -> list[RunResult]:
    """Every run's ``result.json`` under a sweep dir (run dirs may nest when an override value holds a '/')."""
    return [json.loads(path.read_text()) for path in sorted(sweep_dir.rglob(RESULT_FILE))]


def pick_columns(results: list[RunResult], patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Metric names present in any run that match a pattern (glob), in pattern order."""
    present = sorted({key for result in results for key in result["metrics"]})
    columns = ["step"] if "step" in present else []
    for pattern in patterns:
        columns += [key for key in present if fnmatch.fnmatchcase(key, pattern) and key not in columns]
    return columns


def format_value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)


def markdown_table(results: list[RunResult], columns: list[str]) -> str:
    """One row per run: its name, status and the chosen metrics."""
    header = ["run", "status", *columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cells = [result["run"], result["status"], *(format_value(result["metrics"].get(key)) for key in columns)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(sweep_dir: Path, patterns: tuple[str, ...] | list[str] = DEFAULT_COLUMNS) -> str:
    """Write ``summary.csv`` (all metrics) and ``summary.md`` (matching ``patterns``); return the markdown."""
    results = load_results(sweep_dir)
    every = sorted({key for result in results for key in result["metrics"]})
    csv_tmp = sweep_dir / f".summary.csv.{os.getpid()}"
    with open(csv_tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run", "status", "error", *every])
        for result in results:
            metrics = result["metrics"]
            writer.writerow([result["run"], result["status"], result["error"], *(metrics.get(k) for k in every)])
    table = markdown_table(results, pick_columns(results, patterns))
    errors = "".join(f"- {result['run']}: {result['error']}\n" for result in results if result["error"])
    md_tmp = sweep_dir / f".summary.md.{os.getpid()}"
    md_tmp.write_text(table + ("\n" + errors if errors else ""))
    # Jobs on several Slurm nodes may refresh the summary at once: each replaces the files whole.
    os.replace(csv_tmp, sweep_dir / "summary.csv")
    os.replace(md_tmp, sweep_dir / "summary.md")
    return table + errors


def sets_name(override: str) -> bool:
    """Whether a command-line override sets the experiment name (``key=``, ``+key=``, ``++key=``)."""
    return override.lstrip("+").split("=", 1)[0] == NAME_KEY


def add_run_name(overrides: list[str]) -> list[str]:
    """The sweep's overrides plus one naming each run after its own overrides, unless the user named the runs."""
    if any(sets_name(override) for override in overrides):
        log.warning("%s is set on the command line: every run of this sweep shares it (and its checkpoints)", NAME_KEY)
        return overrides
    return [*overrides, RUN_NAME_OVERRIDE]


def stop_ray() -> None:
    """Shut down the Ray instance a finished run started (or joined), so that the next run starts a fresh one.

    The basic launcher runs a sweep's jobs one after another in one process, and verl's ``run_ppo`` reuses an
    initialised Ray: the previous run's actors would still hold its resources ("Total available GPUs 0").
    """
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


class SweepCallback(Callback):
    """Hydra callback: names each sweep run after its overrides, records its final metrics, tables them at the end."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = tuple(columns) if columns else DEFAULT_COLUMNS

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # The sweeper reads hydra.overrides.task (unresolved) after this hook, so the name override reaches every job.
        with read_write(config.hydra.overrides), open_dict(config.hydra.overrides):
            config.hydra.overrides.task = add_run_name(list(config.hydra.overrides.task))

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        stop_ray()
        run_dir = Path(config.hydra.runtime.output_dir)
        sweep_dir = Path(config.hydra.sweep.dir).absolute()
        run = str(run_dir.relative_to(sweep_dir))
        (run_dir / RESULT_FILE).write_text(json.dumps(job_result(job_return, run, run_dir), indent=2))
        # Refreshed after every run: Hydra skips on_multirun_end when a run of the sweep failed.
        write_summary(sweep_dir, self.columns)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        log.info("Sweep summary (%s):\n%s", sweep_dir / "summary.md", write_summary(sweep_dir, self.columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild summary.csv / summary.md of a finished r1_reward sweep.")
    parser.add_argument("sweep_dir", type=Path, help="the sweep's output dir (hydra.sweep.dir)")
    args = parser.parse_args(argv)
    if not load_results(args.sweep_dir):
        print(f"no */{RESULT_FILE} under {args.sweep_dir}: is it a finished r1_reward sweep dir?", file=sys.stderr)
        return 1
    print(write_summary(args.sweep_dir), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
