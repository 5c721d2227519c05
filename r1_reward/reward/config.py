"""Reads and checks the reward settings (``r1_reward.reward``, ``r1_reward.judge`` and the verl ``reward.*`` fields
that point at them) before any Ray worker starts.

verl 0.9.1 cannot check these itself: converting ``cfg.reward`` to its dataclass fails even on verl's defaults,
so a bad reward-manager setting would only show inside a Ray worker mid-run. ``r1_reward.main_ppo`` calls
:func:`validate_reward_config` instead; every error names the setting to change.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from r1_reward.judge.factory import BACKENDS, endpoint_target
from r1_reward.reward.formula import RewardWeights
from r1_reward.reward.scoring import FAILURE_POLICIES, FailurePolicy
from r1_reward.reward.tournament_config import (
    TOURNAMENT_MANAGER_CLASS,
    TOURNAMENT_MANAGER_NAME,
    uses_tournament,
    validate_tournament_config,
)

MANAGER_NAME = "r1_reward"
MANAGER_CLASS = "R1RewardManager"


@dataclass(frozen=True)
class RewardSettings:
    """The formula weights and what to do when the judge fails."""

    weights: RewardWeights
    on_judge_failure: FailurePolicy


def reward_settings(config: Mapping[str, Any]) -> RewardSettings:
    """``RewardSettings`` from the full trainer config (``r1_reward.reward``)."""
    cfg = config["r1_reward"]["reward"]
    policy = cfg.get("on_judge_failure", "fail")
    if policy not in FAILURE_POLICIES:
        raise ValueError(f"r1_reward.reward.on_judge_failure={policy!r} is unknown: use one of {FAILURE_POLICIES}")
    weights = RewardWeights(
        consistency=float(cfg.get("consistency_weight", 0.5)),
        format=float(cfg.get("format_weight", 0.5)),
        combine=cfg.get("combine", "gated"),
    )
    return RewardSettings(weights=weights, on_judge_failure=policy)


def _check_manager(reward: Mapping[str, Any]) -> None:
    manager = reward["reward_manager"]
    if manager.get("name") in (TOURNAMENT_MANAGER_CLASS, TOURNAMENT_MANAGER_NAME):
        return  # the GRPO tournament reward (Appendix C.9), checked by validate_tournament_config
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


def _check_judge_numbers(judge: Mapping[str, Any]) -> None:
    checks = {
        "concurrency": int(judge.get("concurrency", 64)) >= 1,
        "timeout_s": float(judge.get("timeout_s", 30.0)) > 0,
        "max_retries": int(judge.get("max_retries", 3)) >= 0,
        "backoff_s": float(judge.get("backoff_s", 0.5)) >= 0,
        "max_reasoning_chars": int(judge.get("max_reasoning_chars", 4000)) >= 1,
        "flip_prob": 0.0 <= float(judge.get("flip_prob", 0.0) or 0.0) <= 1.0,
    }
    for key, ok in checks.items():
        if not ok:
            raise ValueError(f"r1_reward.judge.{key}={judge.get(key)!r} is out of range (see conf/r1_reward.yaml)")


def _check_pool(reward: Mapping[str, Any], backend: str) -> None:
    model = reward["reward_model"]
    if backend == "pool":
        if not model.get("enable") or not model.get("model_path"):
            raise ValueError(
                "r1_reward.judge.backend=pool needs verl's reward-model pool: set reward.reward_model.enable=true "
                "and reward.reward_model.model_path (conf/judge/pool.yaml does: +judge=pool)"
            )
        if not (reward.get("custom_reward_function") or {}).get("path"):
            raise ValueError(
                "reward.custom_reward_function.path is unset: with a verl-managed reward model verl 0.9.1 skips the "
                "reward manager unless it is set; use pkg://r1_reward.reward.verl_quirks (conf/judge/pool.yaml)"
            )
    elif model.get("enable"):
        raise ValueError(
            f"reward.reward_model.enable=true starts a verl reward model but r1_reward.judge.backend={backend!r} "
            "does not use it: set r1_reward.judge.backend=pool (+judge=pool) or reward.reward_model.enable=false"
        )


def validate_reward_config(config: Mapping[str, Any]) -> RewardSettings:
    """Check every reward and judge setting; raises ValueError naming the fix. Call before Ray starts."""
    settings = reward_settings(config)
    reward, judge = config["reward"], config["r1_reward"]["judge"]
    _check_manager(reward)
    backend = judge.get("backend", "rule")
    if backend not in BACKENDS:
        raise ValueError(f"r1_reward.judge.backend={backend!r} is unknown: use one of {BACKENDS}")
    _check_judge_numbers(judge)
    if backend == "endpoint":
        endpoint_target(judge)
    _check_pool(reward, backend)
    if uses_tournament(config):
        validate_tournament_config(config)
    return settings
