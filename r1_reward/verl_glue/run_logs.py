"""A resumed run keeps its history: verl 0.9.1's ``file`` logger appends, and the console's per-step lines reach the
run's log file.

Written against verl 0.9.1 (``verl/utils/tracking.py``, ``verl/utils/logger/aggregate_logger.py``). Two things there
lose a resumed run's history (``hydra.run.dir=<run folder>`` again, which resumes from ``checkpoints/``):

1. ``FileLogger`` opens its JSONL with ``open(path, "wb")``: the relaunch truncates ``metrics.jsonl`` to its own
   steps. :class:`AppendingFileLogger` is the same logger (same path rule, same line format) opened for appending.
   The driver first calls ``r1_reward.run_folder.trim_to_step`` with the step of the checkpoint verl will load
   (:func:`resume_step`, verl's own lookup): lines of later steps, which the killed launch logged after its last
   checkpoint and the new one will redo, move to ``<name>.superseded.jsonl`` beside it (kept, never mixed in). A line
   logged for the step of the file's last line is merged into that line: verl's ``val_before_train`` logs the
   checkpoint's validation at the resume step, whose training line is already there. So the file holds each step
   once, none lost. (A kill between a checkpoint's save and its step's line, a window of one validation, loses that
   one line: verl saves before it logs, and the step is not redone.)
2. ``LocalLogger`` (the ``console`` backend) only prints, in the Ray actor that trains; the driver's log file
   (Hydra's ``main_ppo.log``) never sees the per-step lines. :class:`StepLogLocalLogger` prints the same line and
   appends it to the file named by ``STEP_LOG_ENV`` (set by ``r1_reward.run_folder`` in the Ray runtime env).

:func:`install` puts both classes where ``Tracking`` looks them up (``verl.utils.tracking.FileLogger``, and
``verl.utils.logger.LocalLogger``, which ``Tracking.__init__`` imports when it builds the console backend); the
registration module (``r1_reward.register``) installs them in every verl process. No verl issue or PR on this was
found (verl 0.9.1); drop this module when ``FileLogger`` stops truncating. ``tests/test_verl_api.py`` pins the verl
lines relied on, and :func:`install` raises if the names move.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

import orjson
from verl.utils import logger as verl_logger
from verl.utils import tracking
from verl.utils.logger.aggregate_logger import LocalLogger, concat_dict_to_str

from r1_reward.verl_glue.file_logger_paths import STEP_LOG_ENV, metrics_path

# verl's own classes, as imported (install() replaces the names Tracking looks up).
VERL_FILE_LOGGER, VERL_LOCAL_LOGGER = tracking.FileLogger, LocalLogger


def _last_line(path: Path) -> tuple[int, int | None, dict[str, Any]]:
    """(offset where the file's last line starts, its step, its data); (size, None, {}) for an empty file."""
    data = path.read_bytes()
    start = data[:-1].rfind(b"\n") + 1
    try:
        line = json.loads(data[start:])
        return start, line["step"], line["data"]
    except (ValueError, KeyError, TypeError):  # empty, or a torn line the driver did not trim: append after it
        return len(data), None, {}


class AppendingFileLogger:
    """verl's ``FileLogger`` opened for appending; a line for the step of the file's last line merges into it."""

    def __init__(self, project_name: str, experiment_name: str) -> None:
        self.project_name, self.experiment_name = project_name, experiment_name
        path = metrics_path(project_name, experiment_name, dict(os.environ))
        path.parent.mkdir(parents=True, exist_ok=True)
        self.filepath = str(path)
        print(f"Creating file logger at {path.absolute()} (appending: r1_reward/verl_glue/run_logs.py)")
        self.fp = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open for the run, closed by finish()
        self._last_start, self._last_step, self._last_data = _last_line(path)
        if self._last_step is None and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            self.fp.write(b"\n")  # a torn last line stays on its own line

    def log(self, data: dict[str, Any], step: int) -> None:
        if step == self._last_step:
            os.truncate(self.filepath, self._last_start)  # the handle appends, so it writes at the new end
            data = {**self._last_data, **data}
        else:
            self._last_start = os.path.getsize(self.filepath)
        self.fp.write(orjson.dumps({"step": step, "data": data}, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        self._last_step, self._last_data = step, data

    def finish(self) -> None:
        self.fp.close()


class StepLogLocalLogger(LocalLogger):
    """verl's console logger that also appends each step's line to ``$R1_REWARD_STEP_LOG`` (the run's log file)."""

    def log(self, data: dict[str, Any], step: int) -> None:
        super().log(data, step)
        path = os.environ.get(STEP_LOG_ENV)
        if path:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            with open(path, "a", encoding="utf-8") as handle:  # one write per line: O_APPEND keeps lines whole
                handle.write(f"[{stamp}][verl.console][INFO] - {concat_dict_to_str(data, step=step)}\n")


def resume_step(config: Any) -> int:
    """The step of the checkpoint verl will resume from (0: none), by verl 0.9.1's own rule
    (``PPOTrainer._load_checkpoint``: ``trainer.resume_mode`` auto / resume_path / disable)."""
    from verl.utils.checkpoint.checkpoint_manager import find_latest_ckpt_path

    trainer = config.trainer
    if trainer.resume_mode == "disable":
        return 0
    if trainer.resume_mode == "resume_path":
        folder = str(trainer.resume_from_path)
    else:
        folder = find_latest_ckpt_path(os.path.abspath(str(trainer.default_local_dir)))
        if folder is None:
            return 0
    return int(folder.rsplit("global_step_", 1)[-1])


def install() -> None:
    """Put both loggers where verl 0.9.1's ``Tracking`` looks them up; raises if those names moved."""
    for module, name in ((tracking, "FileLogger"), (verl_logger, "LocalLogger")):
        if not isinstance(getattr(module, name, None), type):
            raise RuntimeError(
                f"{module.__name__}.{name} is gone: r1_reward/verl_glue/run_logs.py was written for verl 0.9.1; "
                "check how this verl's Tracking builds its file and console loggers"
            )
    tracking.FileLogger = AppendingFileLogger
    verl_logger.LocalLogger = StepLogLocalLogger
