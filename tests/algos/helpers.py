"""Builders shared by the algorithm tests: verl actor/algorithm configs as the trainer makes them."""

from omegaconf import OmegaConf
from verl.utils.config import omega_conf_to_dataclass

from r1_reward.algos.adv_filter import StableReinforceAlgoConfig
from r1_reward.algos.pre_clip import PreClipPolicyLossConfig


def actor_config(loss_mode: str = "stable_reinforce", **policy_loss: object):
    """An ActorConfig built through verl's own conversion, with our policy-loss dataclass swapped in."""
    policy_loss_cfg = {"_target_": f"{PreClipPolicyLossConfig.__module__}.PreClipPolicyLossConfig"}
    policy_loss_cfg.update(loss_mode=loss_mode, **policy_loss)
    cfg = OmegaConf.create(
        {
            "_target_": "verl.workers.config.ActorConfig",
            "strategy": "fsdp2",
            "ppo_mini_batch_size": 4,
            "ppo_micro_batch_size_per_gpu": 4,
            "rollout_n": 1,
            "clip_ratio": 0.2,
            "clip_ratio_low": 0.2,
            "clip_ratio_high": 0.2,
            "policy_loss": policy_loss_cfg,
        }
    )
    return omega_conf_to_dataclass(cfg)


def algo_config(**fields: object) -> StableReinforceAlgoConfig:
    """The algorithm config the trainer hands to advantage estimators."""
    cfg = {"_target_": f"{StableReinforceAlgoConfig.__module__}.StableReinforceAlgoConfig"}
    cfg.update(adv_estimator="stable_reinforce", **fields)
    return omega_conf_to_dataclass(OmegaConf.create(cfg))
