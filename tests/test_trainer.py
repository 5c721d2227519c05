"""The r1_reward_sync trainer: verl's sync trainer plus the advantage filter's step metrics."""

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from verl import DataProto
from verl.trainer.ppo.ray_trainer import compute_advantage
from verl.trainer.ppo.v1.trainer_base import TRAINER_REGISTRY, PPOTrainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from r1_reward.algos import adv_filter
from r1_reward.verl_glue.trainer import TRAINER_NAME, R1RewardTrainer


def test_registered_under_our_name():
    assert TRAINER_REGISTRY[TRAINER_NAME] is R1RewardTrainer
    assert issubclass(R1RewardTrainer, PPOTrainerSync)


def test_verl_builds_it_as_its_sync_mode(monkeypatch):
    # verl's PPOTrainer.__init__ reads the mode name from the config and branches on "sync" (pinned in
    # tests/test_verl_api.py); record what it would read instead of building a whole trainer.
    seen = []
    monkeypatch.setattr(PPOTrainer, "__init__", lambda self, config: seen.append(config.trainer.v1.trainer_mode))
    config = OmegaConf.create({"trainer": {"v1": {"trainer_mode": TRAINER_NAME, "sync": {}}}})
    OmegaConf.set_struct(config, True)
    R1RewardTrainer(config)
    assert seen == ["sync"]


def test_another_mode_name_is_refused_naming_the_key():
    config = OmegaConf.create({"trainer": {"v1": {"trainer_mode": "colocate_async"}}})
    with pytest.raises(ValueError, match="trainer.v1.trainer_mode"):
        R1RewardTrainer(config)


def test_step_metrics_get_the_filter_fraction(monkeypatch):
    config = OmegaConf.create({"adv_filter_threshold": 3.0, "adv_norm_scope": "batch", "gamma": 1.0})
    rewards = torch.zeros(16, 2)
    rewards[:15, -1] = 1.0  # 15 ones and a zero: z(zero) = -3.81 over 32 tokens: filtered

    def parent_step(self, batch, metrics):
        data = DataProto.from_dict(
            tensors={"token_level_rewards": rewards, "response_mask": torch.ones(16, 2)},
            non_tensors={"uid": np.arange(16).astype(str).astype(object)},
        )
        compute_advantage(data, "stable_reinforce", config=config)
        return batch

    monkeypatch.setattr(PPOTrainerSync, "_compute_advantage", parent_step)
    adv_filter._last_metrics["adv_filter/filtered_frac"] = 0.5  # stale value from an earlier call
    metrics: dict = {}
    assert R1RewardTrainer._compute_advantage(object.__new__(R1RewardTrainer), "batch", metrics) == "batch"
    assert metrics["adv_filter/filtered_frac"] == 1 / 16


def test_training_reward_metrics_come_from_per_sample_sub_scores():
    from r1_reward.reward.metrics import reward_metrics
    from r1_reward.verl_glue.trainer import sub_scores

    def row(score, fmt, result, consistency, judged, failed):
        keys = ("score", "format", "result", "consistency", "judged", "judge_failed")
        return {"reward_extra_info": dict(zip(keys, (score, fmt, result, consistency, judged, failed)))}

    # Two correct answers (one consistent, one whose judge call failed), one wrong, one padding row.
    fields = [row(2.0, 1, 1, 1, 1, 0), row(1.5, 1, 1, 0, 1, 1), row(0.5, 1, 0, 0, 0, 0), {}]
    metrics = reward_metrics(sub_scores(fields))
    assert metrics["reward/accuracy"] == 2 / 3
    assert metrics["reward/format_rate"] == 1.0
    assert metrics["reward/consistency_rate"] == 1.0  # among answered judge calls only
    assert (metrics["reward/judge_calls"], metrics["reward/judge_failures"]) == (2.0, 1.0)
    assert sub_scores([{}, None]) == {}
