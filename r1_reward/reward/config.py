"""Reads and checks the reward settings (``r1_reward.reward``, ``r1_reward.judge`` and the verl ``reward.*`` fields
that point at them) before any Ray worker starts.

verl 0.9.1 cannot check these itself: converting ``cfg.reward`` to its dataclass fails even on verl's defaults,
so a bad reward-manager setting would only show inside a Ray worker mid-run. ``r1_reward.main_ppo`` calls
:func:`validate_reward_config` instead; every error names the setting to change.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from omegaconf import DictConfig, open_dict

from r1_reward.judge.config import JudgeConfig, resolve_env
from r1_reward.reward.formula import Combine, RewardWeights
from r1_reward.reward.scoring import FAILURE_POLICIES, FailurePolicy

MANAGER_NAME = "r1_reward"
MANAGER_CLASS = "R1RewardManager"


@dataclass(frozen=True)
class RewardConfig:
    """``r1_reward.reward``, typed and checked once (defaults here, the weights' from :class:`RewardWeights`;
    conf/r1_reward.yaml repeats them with a comment each)."""

    consistency_weight: float = RewardWeights.consistency
    format_weight: float = RewardWeights.format
    combine: Combine = RewardWeights.combine
    on_judge_failure: FailurePolicy = "fail"

    def __post_init__(self) -> None:
        if self.on_judge_failure not in FAILURE_POLICIES:
            raise ValueError(
                f"r1_reward.reward.on_judge_failure={self.on_judge_failure!r} is unknown: use one of {FAILURE_POLICIES}"
            )
        self.weights  # noqa: B018 - RewardWeights checks combine and the weights' signs

    @property
    def weights(self) -> RewardWeights:
        """λ, μ and the combine mode of §3.2."""
        return RewardWeights(self.consistency_weight, self.format_weight, self.combine)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "RewardConfig":
        """The typed config from the full trainer config (``r1_reward.reward``); unknown keys are errors."""
        cfg, known = config["r1_reward"]["reward"], {f.name for f in fields(cls)}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f"r1_reward.reward.{unknown[0]} is not a reward setting: use one of {sorted(known)}")
        numbers = {key: float(cfg[key]) for key in ("consistency_weight", "format_weight") if key in cfg}
        return cls(**{**cfg, **numbers})


def _check_manager(reward: Mapping[str, Any]) -> None:
    manager = reward["reward_manager"]
    by_import = manager.get("source") == "importlib" and manager.get("name") == MANAGER_CLASS
    by_registry = manager.get("source") == "register" and manager.get("name") == MANAGER_NAME
    if by_import and not (manager.get("module") or {}).get("path"):
        raise ValueError("reward.reward_manager.module.path is unset: set it to pkg://r1_reward.reward.manager")
    if not (by_import or by_registry):
        raise ValueError(
            f"reward.reward_manager (source={manager.get('source')!r}, name={manager.get('name')!r}) does not point "
            f"at r1_reward's reward: use source=importlib, name={MANAGER_CLASS}, "
            f"module.path=pkg://r1_reward.reward.manager (as conf/r1_reward.yaml does) or source=register, "
            f"name={MANAGER_NAME}"
        )


def _check_pool(reward: Mapping[str, Any], backend: str) -> None:
    model = reward["reward_model"]
    if backend == "pool":
        if not model.get("enable") or not model.get("model_path"):
            raise ValueError(
                "r1_reward.judge.backend=pool needs verl's reward-model pool: set reward.reward_model.enable=true "
                "and reward.reward_model.model_path (conf/judge/pool.yaml does: judge=pool)"
            )
        if not (reward.get("custom_reward_function") or {}).get("path"):
            raise ValueError(
                "reward.custom_reward_function.path is unset: with a verl-managed reward model verl 0.9.1 skips the "
                "reward manager unless it is set; use pkg://r1_reward.verl_glue.reward_quirks (conf/judge/pool.yaml)"
            )
    elif model.get("enable"):
        raise ValueError(
            f"reward.reward_model.enable=true starts a verl reward model but r1_reward.judge.backend={backend!r} "
            "does not use it: set r1_reward.judge.backend=pool (judge=pool) or reward.reward_model.enable=false"
        )


def validate_reward_config(config: Mapping[str, Any], check_manager: bool = True) -> tuple[RewardConfig, JudgeConfig]:
    """Check every reward and judge setting (ValueError naming the fix) and write the judge's env-var values into
    ``config`` so the reward workers need not read them. Call once, in the driver, before Ray starts.
    ``check_manager=False``: the reward manager is another one (the tournament's), checked by its own package."""
    reward_config = RewardConfig.from_config(config)
    judge_config = resolve_env(config["r1_reward"]["judge"])
    if check_manager:
        _check_manager(config["reward"])
    _check_pool(config["reward"], judge_config.backend)
    if isinstance(config, DictConfig):
        with open_dict(config):
            config.r1_reward.judge.base_url, config.r1_reward.judge.model = judge_config.base_url, judge_config.model
    return reward_config, judge_config


def default_values() -> dict[str, dict[str, Any]]:
    """Every default of ``r1_reward.reward`` and ``r1_reward.judge`` (what conf/r1_reward.yaml must repeat)."""
    return {"reward": asdict(RewardConfig()), "judge": asdict(JudgeConfig())}
