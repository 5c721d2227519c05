"""The one Hydra compose helper of the tests (tests/conftest.py puts this folder on ``sys.path``)."""

import copy
from functools import cache
from pathlib import Path

from hydra import compose, initialize_config_dir

CONF = Path(__file__).resolve().parents[1] / "conf"


@cache
def _composed(config_dir: str, config_name: str, overrides: tuple[str, ...]):
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose(config_name, overrides=list(overrides))


def compose_config(*overrides: str, config_name: str = "r1_reward", config_dir: Path = CONF):
    """A fresh copy of ``conf/<config_name>.yaml`` composed with ``overrides`` (compositions are cached: Hydra is
    slow on a busy machine, and many tests compose the same config)."""
    return copy.deepcopy(_composed(str(config_dir), config_name, tuple(overrides)))
