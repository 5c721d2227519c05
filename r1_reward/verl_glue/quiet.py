"""Quiet start-up for verl 0.9.1 runs: the one place where r1_reward hides verl output, and how to get it back.

Before the first step verl prints two things that tell a user nothing new:

1. ``TaskRunnerV1.run`` (``verl/trainer/main_ppo.py``) pprints the whole resolved config, ~700 lines. r1_reward
   writes that config to the run folder's ``config.yaml`` (``r1_reward/run_folder.py``); ``QuietTaskRunner`` is
   verl's task runner with that one print replaced by a line naming the file. ``run_ppo`` takes the runner class as
   its documented hook; the print itself has none, so the runner swaps ``main_ppo.pprint`` in its own actor process
   (which runs one training and nothing else). ``tests/test_verl_api.py`` fails if verl's call changes.
2. ``verl/workers/engine/__init__.py`` warns "<name> engine is not available" for each optional engine that is not
   installed, in every process that imports it (~70 ``UserWarning`` lines on a CPU run). ``warning_filters`` adds
   ``PYTHONWARNINGS`` entries for exactly those messages, for the driver and (through the Ray runtime env) workers.

``r1_reward.verbose=true`` brings both back. Only verl's V1 runner (the default, ``trainer.use_v1=true``) is quieted.

Written against verl 0.9.1 (pinned in tests/test_verl_api.py). No upstream issue is known; retire it when verl's runner
takes a verbosity setting and its engine registry stops warning about optional engines.
"""

import warnings

import ray
from omegaconf import DictConfig, open_dict
from verl.trainer import main_ppo

# verl's optional engines (verl/workers/engine/__init__.py); each missing one is a warning, not an error.
OPTIONAL_ENGINES = ("automodel", "mindspeed", "megatron", "torchtitan", "veomni")
HARMLESS_WARNINGS = tuple(f"{name} engine is not available" for name in OPTIONAL_ENGINES)
WARNINGS_ENV = "PYTHONWARNINGS"


def _config_written(_config: dict) -> None:
    print("verl's resolved config: config.yaml in the run folder (r1_reward.verbose=true prints it here)")


class _QuietTaskRunner(main_ppo.TaskRunnerV1.__ray_actor_class__):
    """verl's ``TaskRunnerV1`` without the config dump (see the module docstring)."""

    def run(self, config: DictConfig):
        main_ppo.pprint = _config_written
        return super().run(config)


QuietTaskRunner = ray.remote(_QuietTaskRunner)


def warning_filters(existing: str | None) -> str:
    """A ``PYTHONWARNINGS`` value that keeps ``existing`` entries and ignores the harmless engine warnings."""
    entries = [entry for entry in (existing or "").split(",") if entry]
    entries += [f"ignore:{message}:UserWarning" for message in HARMLESS_WARNINGS if f"ignore:{message}:UserWarning"
                not in entries]  # fmt: skip
    return ",".join(entries)


def quiet_workers(config: DictConfig) -> None:
    """Filter the engine warnings here and in every Ray worker (through their runtime env)."""
    for message in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    with open_dict(config):
        runtime_env = config.ray_kwargs.ray_init.runtime_env
        if runtime_env.get("env_vars") is None:
            runtime_env.env_vars = {}
        runtime_env.env_vars[WARNINGS_ENV] = warning_filters(runtime_env.env_vars.get(WARNINGS_ENV))
