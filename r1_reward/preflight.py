"""Checks that run in the driver before Ray starts, so a wrong setting costs a second, not Ray's start-up.

``check(config)`` is called once by ``r1_reward.main_ppo.run``; each check raises an error that names the setting and
the fix. Add further checks (GPU count, judge endpoint) as functions called from ``check``.
"""

from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

# Input files verl opens in its workers, with the command that makes one.
INPUT_FILES = {
    "data.train_files": "python -m r1_reward.data convert ... --output data/rl.parquet",
    "data.val_files": "python -m r1_reward.data convert ... --output data/val.parquet",
}
TINY_HINT = "for +profile=cpu_tiny: python -m r1_reward.data.toy --out outputs/cpu_tiny/data (R1_TINY_DIR moves it)"


def _paths(value) -> list[str]:
    """A file setting's paths: one path, or a list of them (verl accepts both); null means none."""
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, ListConfig | list | tuple) else [str(value)]


def check_input_files(config: DictConfig) -> None:
    """Every local input file exists (remote URLs such as ``hdfs://`` are left to verl)."""
    for key, make in INPUT_FILES.items():
        for path in _paths(OmegaConf.select(config, key)):
            if "://" not in path and not Path(path).is_file():
                raise FileNotFoundError(
                    f"{key}: {Path(path).absolute()} is not a file. Pass {key}=/path/to/file.parquet, "
                    f"or build one ({make}; {TINY_HINT})"
                )


def check(config: DictConfig) -> None:
    """All pre-Ray checks, in order."""
    check_input_files(config)
