"""Advantage filter (R1-Reward §3.1), registered as verl advantage estimator ``stable_reinforce``.

Outcome rewards are z-scored, then every advantage with ``|z| > threshold`` (3, the 3-sigma rule) is set to 0.

* ``scope: batch`` — Reinforce++ normalisation exactly as verl's ``reinforce_plus_plus`` computes it
  (discounted returns, whitened over all response tokens of the batch); the paper's setting.
* ``scope: group`` — z-score within each prompt's ``rollout.n`` samples (verl's GRPO statistics).

``threshold: null`` gives plain Reinforce++ (or GRPO). Within a group of n samples no |z| can exceed
(n − 1)/√n (one outlier, sample std), so ``scope: group`` with ``rollout.n`` ≤ 10 and threshold 3 could never
filter: ``check_group_reach`` refuses that at config time (``r1_reward.main_ppo`` calls it).
The authors' release compared advantages against ``mean ± 3`` of the raw rewards; this follows the paper and
compares the z-score against ``±threshold``.
"""

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch
from verl.trainer.config import AlgoConfig
from verl.trainer.ppo.core_algos import (
    compute_grpo_vectorized_outcome_advantage,
    compute_reinforce_plus_plus_outcome_advantage,
    register_adv_est,
)

from r1_reward.algos import required_settings

ESTIMATOR_NAME = "stable_reinforce"
SCOPES = ("batch", "group")
FILTER_KEYS = ("adv_filter_threshold", "adv_norm_scope")

# Statistics of the most recent call in this process, drained by the trainer into its step metrics
# (verl's estimator interface returns tensors only). See r1_reward.verl_glue.trainer.
_last_metrics: dict[str, float] = {}


@dataclass
class StableReinforceAlgoConfig(AlgoConfig):
    """verl's algorithm config plus the advantage-filter settings (swapped in through ``_target_``)."""

    adv_filter_threshold: Optional[float] = 3.0
    adv_norm_scope: str = "batch"

    def __post_init__(self):
        check_filter_settings(self.adv_filter_threshold, self.adv_norm_scope)


def check_filter_settings(threshold: Optional[float], scope: str) -> None:
    """Fail early, naming the key to fix, on a bad threshold or scope."""
    if scope not in SCOPES:
        raise ValueError(f"r1_reward.adv_filter.scope must be one of {SCOPES}, got {scope!r}")
    if threshold is not None and not threshold > 0:
        raise ValueError(f"r1_reward.adv_filter.threshold must be > 0 or null (no filter), got {threshold}")


def max_group_z(group_size: int) -> float:
    """The largest |z| any sample can reach in a group of ``group_size`` (one outlier, sample std): (n − 1)/√n."""
    return (group_size - 1) / math.sqrt(group_size) if group_size > 1 else 0.0


def check_group_reach(threshold: Optional[float], scope: str, group_size: int) -> None:
    """Refuse a group-scoped filter that can never fire because the groups are too small."""
    if scope != "group" or threshold is None or max_group_z(group_size) > threshold:
        return
    needed = next(n for n in range(2, 10_000) if max_group_z(n) > threshold)
    raise ValueError(
        f"r1_reward.adv_filter.scope=group can never filter with rollout.n={group_size}: the largest |z| in a "
        f"group of {group_size} is (n-1)/sqrt(n) = {max_group_z(group_size):.3f} <= threshold {threshold}. "
        f"Set actor_rollout_ref.rollout.n>={needed}, r1_reward.adv_filter.scope=batch, or a lower "
        "r1_reward.adv_filter.threshold"
    )


def filter_settings(algorithm: Any) -> tuple[Optional[float], str]:
    """``(threshold, scope)`` of an algorithm config (our dataclass or its DictConfig); the defaults live only in
    :class:`StableReinforceAlgoConfig`, so a config without the keys was not composed on conf/r1_reward.yaml."""
    threshold, scope = required_settings(algorithm, FILTER_KEYS, "algorithm", StableReinforceAlgoConfig)
    return threshold, scope


def validate_filter_config(config: Any) -> None:
    """Config-time check of a composed trainer config (the estimator alone does not know ``rollout.n``)."""
    algorithm = config.algorithm
    if algorithm.get("adv_estimator") == ESTIMATOR_NAME:
        check_group_reach(*filter_settings(algorithm), int(config.actor_rollout_ref.rollout.n))


def pop_filter_metrics() -> dict[str, float]:
    """Return and clear the filter statistics of the last estimator call in this process."""
    metrics = dict(_last_metrics)
    _last_metrics.clear()
    return metrics


@register_adv_est(ESTIMATOR_NAME)
def compute_stable_reinforce_advantage(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    config: Optional[AlgoConfig] = None,
    index: Optional[np.ndarray] = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Z-scored outcome advantages with the 3-sigma filter; returns ``(advantages, returns)``."""
    assert config is not None, "the stable_reinforce estimator needs the algorithm config"
    threshold, scope = filter_settings(config)
    check_filter_settings(threshold, scope)
    if scope == "group":
        if index is None:
            raise ValueError("r1_reward.adv_filter.scope=group needs the batch's prompt uids (verl's 'uid')")
        advantages, returns = compute_grpo_vectorized_outcome_advantage(token_level_rewards, response_mask, index)
    else:
        advantages, returns = compute_reinforce_plus_plus_outcome_advantage(token_level_rewards, response_mask, config)
    if threshold is None:
        _record(torch.zeros_like(response_mask[:, 0]), response_mask)
        return advantages, returns
    # Both verl estimators return zeros on padding, so |z| > threshold never selects a padding token.
    outliers = advantages.abs() > threshold
    _record(outliers.sum(-1), response_mask)
    return advantages.masked_fill_(outliers, 0.0), returns


def _record(outliers_per_sample: torch.Tensor, response_mask: torch.Tensor) -> None:
    """Store the fraction of samples (any token) and of tokens whose advantage was zeroed."""
    valid_per_sample = response_mask.sum(-1)
    n_samples = max(int((valid_per_sample > 0).sum()), 1)
    n_tokens = max(int(valid_per_sample.sum()), 1)
    _last_metrics.clear()
    _last_metrics["adv_filter/filtered_frac"] = int((outliers_per_sample > 0).sum()) / n_samples
    _last_metrics["adv_filter/filtered_token_frac"] = int(outliers_per_sample.sum()) / n_tokens
