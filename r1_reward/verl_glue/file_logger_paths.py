"""Where verl 0.9.1's loggers write, as plain paths (no verl import): the run folder sets them, ``run_logs`` reads them.

Retire with ``run_logs.py`` when verl's file logger appends instead of truncating.
"""

import os
from pathlib import Path

# The file the console logger's per-step lines are appended to (set in the Ray runtime env by ``r1_reward.run_folder``).
STEP_LOG_ENV = "R1_REWARD_STEP_LOG"


def metrics_path(project_name: str, experiment_name: str, environ: dict[str, str]) -> Path:
    """Where verl's file logger writes: ``VERL_FILE_LOGGER_PATH``, else ``<VERL_FILE_LOGGER_ROOT or .>/<project>/
    <experiment>.jsonl`` (verl 0.9.1's rule, ``FileLogger.__init__``)."""
    if environ.get("VERL_FILE_LOGGER_PATH"):
        return Path(environ["VERL_FILE_LOGGER_PATH"])
    root = os.path.expanduser(environ.get("VERL_FILE_LOGGER_ROOT", "."))
    return Path(root, project_name, f"{experiment_name}.jsonl")
