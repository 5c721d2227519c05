"""StableReinforce (paper §3.1): one module per idea, each with its one verl registry entry."""

from typing import Any

_MISSING = object()


def required_settings(config: Any, keys: tuple[str, ...], prefix: str, target: type) -> list[Any]:
    """``config[key]`` for each key (a verl config dataclass, DictConfig or dict). The defaults live only in
    ``target``, the dataclass conf/r1_reward.yaml swaps in: a config without a key was not composed on it."""
    values = [config.get(key, _MISSING) for key in keys]
    if _MISSING in values:
        raise ValueError(
            f"{prefix}.{keys[values.index(_MISSING)]} is missing: set {prefix}._target_="
            f"{target.__module__}.{target.__qualname__} (conf/r1_reward.yaml does)"
        )
    return values
