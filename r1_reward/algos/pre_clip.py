"""Pre-clip policy loss (R1-Reward §3.1, Algorithm 1), registered as verl policy loss ``stable_reinforce``.

The log-ratio ``log π − log π_old`` is clamped to ``[log δ_min, log δ_max]`` *before* ``exp``, then the usual
PPO clipped surrogate is taken, as in the authors' release (no dual-clip). With ``dual_clip=true`` verl's
dual-clip bound ``clip_ratio_c`` is added; rollout-correction weights and aggregation are verl's, so then,
with no token pre-clipped, this loss equals verl's ``vanilla`` loss.

``enabled=false`` switches the pre-clip off and leaves plain PPO clip (Algorithm 1, lines 0–3: no clamp, no
dual-clip unless asked for): the Table 5 baselines ``no_pre_clip`` and ``reinforce_pp``. verl's ``vanilla`` is not
that baseline, since it always applies dual-clip (on the §3.1 example it gives 3.0 where plain PPO gives 19930.4).

Table 6 of the paper sweeps a "clip ratio" c ∈ {5, 10, 100}; Algorithm 1 labels its default
``log(1e3)`` "similar to 10", and c = 100 behaves like no pre-clip. Both fit c being the bound on
``|log π − log π_old|``, so ``log_bound=c`` sets ``δ_max = e^c, δ_min = e^-c``.
"""

import math
from dataclasses import dataclass
from typing import Any, Optional

import torch
from verl.trainer.ppo.core_algos import agg_loss, register_policy_loss
from verl.utils import torch_functional as verl_F
from verl.workers.config import ActorConfig, PolicyLossConfig

from r1_reward.algos import required_settings

LOSS_NAME = "stable_reinforce"
POLICY_LOSS = "actor_rollout_ref.actor.policy_loss"


@dataclass
class PreClipPolicyLossConfig(PolicyLossConfig):
    """verl's policy-loss config plus the pre-clip bounds (swapped in through ``_target_``)."""

    delta_min: float = 1e-3
    delta_max: float = 1e3
    log_bound: Optional[float] = None
    dual_clip: bool = False
    enabled: bool = True

    def __post_init__(self):
        low, high = log_ratio_bounds(self)
        if not low < 0.0 < high:
            raise ValueError(
                f"pre-clip bounds must satisfy delta_min < 1 < delta_max (got log bounds [{low}, {high}]); "
                "set r1_reward.pre_clip.delta_min/delta_max or r1_reward.pre_clip.log_bound > 0"
            )


def log_ratio_bounds(policy_loss_config: Any) -> tuple[float, float]:
    """The clamp interval ``[log δ_min, log δ_max]`` for a policy-loss config (dataclass or DictConfig)."""
    log_bound, delta_min, delta_max = required_settings(
        policy_loss_config, ("log_bound", "delta_min", "delta_max"), POLICY_LOSS, PreClipPolicyLossConfig
    )
    if log_bound is not None:
        return -float(log_bound), float(log_bound)
    delta_min, delta_max = float(delta_min), float(delta_max)
    if delta_min <= 0.0:
        raise ValueError(f"r1_reward.pre_clip.delta_min must be > 0, got {delta_min}")
    return math.log(delta_min), math.log(delta_max)


@register_policy_loss(LOSS_NAME)  # type: ignore[arg-type]
def compute_policy_loss_stable_reinforce(
    old_log_prob: torch.Tensor,
    log_prob: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    loss_agg_mode: str = "token-mean",
    config: Optional[ActorConfig] = None,
    rollout_is_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """PPO clipped surrogate on a pre-clipped ratio; returns the loss and verl-style metrics."""
    assert config is not None, "the stable_reinforce loss needs the actor config"
    low, high = log_ratio_bounds(config.policy_loss)
    eps_low = config.clip_ratio_low if config.clip_ratio_low is not None else config.clip_ratio
    eps_high = config.clip_ratio_high if config.clip_ratio_high is not None else config.clip_ratio

    enabled, dual_clip = required_settings(
        config.policy_loss, ("enabled", "dual_clip"), POLICY_LOSS, PreClipPolicyLossConfig
    )
    log_ratio = log_prob - old_log_prob
    if not enabled:
        low, high = -math.inf, math.inf
    pre_clipped = (log_ratio < low) | (log_ratio > high)
    ratio = torch.exp(torch.clamp(log_ratio, min=low, max=high))

    pg_losses1 = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1 - eps_low, 1 + eps_high)
    clipped = torch.maximum(pg_losses1, pg_losses2)
    pg_losses, clipfrac_lower = clipped, torch.zeros_like(clipped)
    if dual_clip:
        pg_losses3 = -advantages * config.clip_ratio_c
        pg_losses = torch.where(advantages < 0, torch.minimum(pg_losses3, clipped), clipped)
        clipfrac_lower = torch.gt(clipped, pg_losses3).float() * (advantages < 0).float()
    if rollout_is_weights is not None:
        pg_losses = pg_losses * rollout_is_weights

    pg_loss = agg_loss(
        loss_mat=pg_losses, loss_mask=response_mask, loss_agg_mode=loss_agg_mode, **config.global_batch_info
    )
    metrics = {
        "actor/pg_clipfrac": verl_F.masked_mean(torch.gt(pg_losses2, pg_losses1).float(), response_mask),
        "actor/ppo_kl": verl_F.masked_mean(-torch.clamp(log_ratio, min=low, max=high), response_mask),
        "actor/pg_clipfrac_lower": verl_F.masked_mean(clipfrac_lower, response_mask),
        "actor/pre_clipfrac": verl_F.masked_mean(pre_clipped.float(), response_mask),
        # 1 for a micro-batch whose loss is inf/NaN (e.g. log_bound=100 overflowing exp); verl averages it over the
        # step's micro-batches, and r1_reward.nonfinite turns it into counts and a warning naming the step.
        "actor/nonfinite_loss_frac": (~torch.isfinite(pg_loss)).float(),
    }
    return pg_loss, {name: value.detach().item() for name, value in metrics.items()}
