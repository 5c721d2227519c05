"""One folder per training run: metrics, checkpoints, logs and config land in it, never inside the package.

The folder is Hydra's output dir of the run: ``hydra.run.dir`` (``runs/<experiment_name>/<date>_<time>``, set in
``conf/r1_reward.yaml``), or a sweep run's own dir. ``place_outputs`` puts verl's outputs there unless the user chose:

- ``config.yaml``: the resolved config of the latest launch (what verl would otherwise print, ~700 lines);
- ``checkpoints/``: ``trainer.default_local_dir`` when it is null (the base config's default);
- ``metrics.jsonl``: verl's ``file`` logger, unless ``VERL_FILE_LOGGER_PATH`` / ``VERL_FILE_LOGGER_ROOT`` is set;
- ``tensorboard/``: verl's ``tensorboard`` logger, unless ``TENSORBOARD_DIR`` is set;
- ``main_ppo.log`` (Hydra's log of the driver, appended by every launch) with the per-step lines of verl's
  ``console`` logger (``STEP_LOG_ENV``), and ``.hydra/`` (Hydra's files of the latest launch);
- ``launches.jsonl``: one line per launch of the folder (its overrides, command, time and the step it resumed from).

The environment variables go into the Ray runtime env: verl's loggers run in a Ray worker, on any node.
To resume a run, point ``hydra.run.dir`` at its folder: verl finds ``checkpoints/``, and ``start_launch`` keeps the
history: ``metrics.jsonl`` keeps every step up to the checkpoint resumed from, and the lines of later steps (logged by
the killed launch after its last checkpoint, redone now) move to ``metrics.superseded.jsonl``; verl's file logger then
appends (``r1_reward/verl_glue/run_logs.py``), so each step is in the file once.
"""

import json
import logging
import os
import sys
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from r1_reward.verl_glue.file_logger_paths import STEP_LOG_ENV, metrics_path

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
LAUNCHES_FILE = "launches.jsonl"
# verl reads these in the process that logs; the first of each group that is set wins.
METRICS_ENV = ("VERL_FILE_LOGGER_PATH", "VERL_FILE_LOGGER_ROOT")
TENSORBOARD_ENV = "TENSORBOARD_DIR"
SUPERSEDED_SUFFIX = ".superseded.jsonl"


def run_folder(config: DictConfig) -> Path:
    """Hydra's output dir of this run; outside a Hydra app, ``runs/<experiment_name>/<date>_<time>``."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir).absolute()
    return Path("runs", str(config.trainer.experiment_name), time.strftime("%Y-%m-%d_%H-%M-%S")).absolute()


def log_file(folder: Path) -> Path:
    """Hydra's log file of the driver (``<job name>.log``; ``main_ppo.log`` outside a Hydra app)."""
    from hydra.core.hydra_config import HydraConfig

    name = HydraConfig.get().job.name if HydraConfig.initialized() else "main_ppo"
    return folder / f"{name}.log"


def _worker_env(config: DictConfig, environ: dict[str, str]) -> dict[str, str]:
    """The environment verl's workers see: this process's, with the Ray runtime env's variables on top."""
    return {**environ, **(config.ray_kwargs.ray_init.runtime_env.get("env_vars") or {})}


def _set_worker_env(config: DictConfig, environ: dict[str, str], names: tuple[str, ...], value: str) -> None:
    """Set ``names[0]`` to ``value`` in the Ray runtime env, unless one of ``names`` is already set there or here."""
    if any(name in _worker_env(config, environ) for name in names):
        return
    with open_dict(config):
        if config.ray_kwargs.ray_init.runtime_env.get("env_vars") is None:
            config.ray_kwargs.ray_init.runtime_env.env_vars = {}
        config.ray_kwargs.ray_init.runtime_env.env_vars[names[0]] = value


def place_outputs(config: DictConfig, folder: Path, environ: dict[str, str]) -> None:
    """Point verl's checkpoints, metrics, tensorboard and per-step logs into ``folder`` and write the resolved
    config there."""
    folder.mkdir(parents=True, exist_ok=True)
    with open_dict(config):
        if config.trainer.get("default_local_dir") is None:
            config.trainer.default_local_dir = str(folder / "checkpoints")
    _set_worker_env(config, environ, METRICS_ENV, str(folder / "metrics.jsonl"))
    _set_worker_env(config, environ, (TENSORBOARD_ENV,), str(folder / "tensorboard"))
    _set_worker_env(config, environ, (STEP_LOG_ENV,), str(log_file(folder)))
    OmegaConf.save(config, folder / CONFIG_FILE, resolve=True)


def metrics_file(folder: Path, config: DictConfig, environ: dict[str, str]) -> Path:
    """This run's ``metrics.jsonl``: in ``folder``, unless the user pointed verl's file logger elsewhere."""
    env = _worker_env(config, environ)
    if not any(env.get(name) for name in METRICS_ENV):
        return folder / "metrics.jsonl"
    return metrics_path(str(config.trainer.project_name), str(config.trainer.experiment_name), env)


def trim_to_step(path: Path, step: int) -> int:
    """Keep the lines of ``path`` up to ``step``; move later ones (and a torn last line) to
    ``<stem>.superseded.jsonl`` beside it, appended. Returns how many lines moved."""
    if not path.is_file():
        return 0
    kept, moved = [], []
    for line in path.read_bytes().splitlines(keepends=True):
        try:
            keep = line.endswith(b"\n") and json.loads(line)["step"] <= step
        except (ValueError, KeyError, TypeError):
            keep = False
        (kept if keep else moved).append(line if line.endswith(b"\n") else line + b"\n")
    if moved:
        with open(path.with_name(path.stem + SUPERSEDED_SUFFIX), "ab") as superseded:
            superseded.write(b"".join(moved))
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(kept))
        os.replace(tmp, path)
    return len(moved)


def _overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def start_launch(config: DictConfig, folder: Path, environ: dict[str, str]) -> dict:
    """Keep the run's history across launches: cut ``metrics.jsonl`` back to the checkpoint verl resumes from (see
    the module docstring), append this launch to ``launches.jsonl`` and say so in the log; returns that line."""
    from r1_reward.verl_glue.run_logs import resume_step

    step = resume_step(config)
    loggers = config.trainer.logger
    metrics = metrics_file(folder, config, environ)
    moved = trim_to_step(metrics, step) if "file" in ([loggers] if isinstance(loggers, str) else loggers) else 0
    launches = folder / LAUNCHES_FILE
    number = 1 + (len(launches.read_text().splitlines()) if launches.is_file() else 0)
    entry = {"launch": number, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "resumes_from_step": step,
             "superseded_metrics_lines": moved, "overrides": _overrides(), "argv": sys.argv}  # fmt: skip
    with launches.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    log.info("launch %d of %s, from step %d; overrides: %s", number, folder, step, " ".join(entry["overrides"]))
    if moved:
        log.info("%d lines of steps after %d moved from %s to its %s (those steps are redone)",
                 moved, step, metrics.name, SUPERSEDED_SUFFIX)  # fmt: skip
    return entry
