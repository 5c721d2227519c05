"""One folder per training run: metrics, checkpoints, logs and config land in it, never inside the package.

The folder is Hydra's output dir of the run: ``hydra.run.dir`` (``runs/<experiment_name>/<date>_<time>``, set in
``conf/r1_reward.yaml``), or a sweep run's own dir. ``place_outputs`` puts verl's outputs there unless the user chose:

- ``config.yaml``: the resolved config (what verl would otherwise print, ~700 lines) — always written;
- ``checkpoints/``: ``trainer.default_local_dir`` when it is null (the base config's default);
- ``metrics.jsonl``: verl's ``file`` logger, unless ``VERL_FILE_LOGGER_PATH`` / ``VERL_FILE_LOGGER_ROOT`` is set;
- ``tensorboard/``: verl's ``tensorboard`` logger, unless ``TENSORBOARD_DIR`` is set;
- ``main_ppo.log`` (Hydra's log of the driver) and ``.hydra/`` (the unresolved config and the overrides).

The environment variables go into the Ray runtime env: verl's loggers run in a Ray worker, on any node.
To resume a run, point ``hydra.run.dir`` at its folder (verl then finds ``checkpoints/``).
"""

import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

CONFIG_FILE = "config.yaml"
# verl reads these in the process that logs; the first of each group that is set wins.
METRICS_ENV = ("VERL_FILE_LOGGER_PATH", "VERL_FILE_LOGGER_ROOT")
TENSORBOARD_ENV = "TENSORBOARD_DIR"


def run_folder(config: DictConfig) -> Path:
    """Hydra's output dir of this run; outside a Hydra app, ``runs/<experiment_name>/<date>_<time>``."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir).absolute()
    return Path("runs", str(config.trainer.experiment_name), time.strftime("%Y-%m-%d_%H-%M-%S")).absolute()


def _set_worker_env(config: DictConfig, environ: dict[str, str], names: tuple[str, ...], value: str) -> None:
    """Set ``names[0]`` to ``value`` in the Ray runtime env, unless one of ``names`` is already set there or here."""
    env_vars = config.ray_kwargs.ray_init.runtime_env.get("env_vars") or {}
    if any(name in environ or name in env_vars for name in names):
        return
    with open_dict(config):
        if config.ray_kwargs.ray_init.runtime_env.get("env_vars") is None:
            config.ray_kwargs.ray_init.runtime_env.env_vars = {}
        config.ray_kwargs.ray_init.runtime_env.env_vars[names[0]] = value


def place_outputs(config: DictConfig, folder: Path, environ: dict[str, str]) -> None:
    """Point verl's checkpoints, metrics and tensorboard logs into ``folder`` and write the resolved config there."""
    folder.mkdir(parents=True, exist_ok=True)
    with open_dict(config):
        if config.trainer.get("default_local_dir") is None:
            config.trainer.default_local_dir = str(folder / "checkpoints")
    _set_worker_env(config, environ, METRICS_ENV, str(folder / "metrics.jsonl"))
    _set_worker_env(config, environ, (TENSORBOARD_ENV,), str(folder / "tensorboard"))
    OmegaConf.save(config, folder / CONFIG_FILE, resolve=True)
