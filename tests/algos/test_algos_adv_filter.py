"""The advantage filter (paper §3.1) as verl's compute_advantage runs it."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from verl import DataProto
from verl.trainer.ppo.core_algos import compute_reinforce_plus_plus_outcome_advantage
from verl.trainer.ppo.ray_trainer import compute_advantage

from r1_reward.algos.adv_filter import pop_filter_metrics

sys.path.insert(0, str(Path(__file__).parent))
from helpers import algo_config  # noqa: E402

RESPONSE_LEN = 4


def outcome_batch(rewards: list[float], uids: list[str] | None = None, valid_len: int = RESPONSE_LEN) -> DataProto:
    """One scalar reward per response, placed on its last valid token, as verl's reward loop does."""
    n = len(rewards)
    token_rewards = torch.zeros(n, RESPONSE_LEN)
    token_rewards[:, valid_len - 1] = torch.tensor(rewards)
    mask = torch.zeros(n, RESPONSE_LEN)
    mask[:, :valid_len] = 1
    data = DataProto.from_dict(
        tensors={"token_level_rewards": token_rewards, "response_mask": mask},
        non_tensors={"uid": np.array(uids or [str(i) for i in range(n)], dtype=object)},
    )
    return data


def advantages(rewards, uids=None, **config) -> torch.Tensor:
    data = compute_advantage(outcome_batch(rewards, uids), "stable_reinforce", config=algo_config(**config))
    return data.batch["advantages"]


def test_paper_example_255_ones_and_a_zero():
    # 256 samples x 4 tokens: mean 255/256, unbiased token variance (255/256^2) * 1024/1023, so the zero's
    # z-score is -sqrt(255 * 1023/1024) = -15.961: the paper's -15.96.
    rewards = [1.0] * 255 + [0.0]
    plain = advantages(rewards, adv_filter_threshold=None)
    expected_zero = -math.sqrt(255 * 1023 / 1024)
    assert plain[-1].tolist() == pytest.approx([expected_zero] * RESPONSE_LEN, rel=1e-4)
    assert round(plain[-1, 0].item(), 2) == -15.96
    assert plain[0, 0].item() == pytest.approx(math.sqrt(1023 / 1024 / 255), rel=1e-4)
    assert pop_filter_metrics()["adv_filter/filtered_frac"] == 0.0

    filtered = advantages(rewards)
    assert filtered[-1].tolist() == [0.0] * RESPONSE_LEN
    torch.testing.assert_close(filtered[:-1], plain[:-1])
    metrics = pop_filter_metrics()
    assert metrics["adv_filter/filtered_frac"] == pytest.approx(1 / 256)
    assert metrics["adv_filter/filtered_token_frac"] == pytest.approx(1 / 256)
    assert pop_filter_metrics() == {}


@pytest.mark.parametrize(("tokens", "z"), [(1, -15.937), (4, -15.961), (64, -15.968)])
def test_the_papers_minus_15_96_depends_on_the_response_length(tokens, z):
    # Whitening is over tokens: with L tokens per response the zero's z-score is -sqrt(255 * (256L - 1) / (256L)),
    # so the paper's -15.96 is the figure for 3-4 token responses; by hand: L=1 -15.937, L=4 -15.961, L=64 -15.968.
    rewards = torch.zeros(256, tokens)
    rewards[:255, -1] = 1.0
    config = OmegaConf.create({"gamma": 1.0})
    plain, _ = compute_reinforce_plus_plus_outcome_advantage(rewards, torch.ones(256, tokens), config)
    assert round(plain[-1, 0].item(), 3) == z


def test_equals_verl_reinforce_plus_plus_when_nothing_is_filtered():
    gen = torch.Generator().manual_seed(0)
    rewards = (torch.rand(64, generator=gen) * 2).tolist()  # uniform: |z| <= sqrt(3) < 3
    ours = advantages(rewards)
    data = outcome_batch(rewards)
    reference, _ = compute_reinforce_plus_plus_outcome_advantage(
        data.batch["token_level_rewards"], data.batch["response_mask"], algo_config()
    )
    torch.testing.assert_close(ours, reference)


def test_threshold_is_configurable():
    # 9 ones and one zero: z(zero) = -(0.9)/sqrt(0.09 * 40/39) = -2.962 (token-level unbiased variance).
    rewards = [1.0] * 9 + [0.0]
    assert advantages(rewards)[-1, 0].item() == pytest.approx(-0.9 / math.sqrt(0.09 * 40 / 39), rel=1e-4)
    assert advantages(rewards, adv_filter_threshold=2.5)[-1].tolist() == [0.0] * RESPONSE_LEN


def test_group_scope_normalises_within_each_prompt():
    # Group a: [1, 0, 0, 0] -> mean 0.25, sample std 0.5 -> z = [1.5, -0.5, -0.5, -0.5].
    # Group b: 15 ones and a zero -> mean 15/16, sample std 0.25 -> zero's z = -3.75 (filtered), ones 0.25.
    rewards = [1.0, 0.0, 0.0, 0.0] + [1.0] * 15 + [0.0]
    uids = ["a"] * 4 + ["b"] * 16
    adv = advantages(rewards, uids, adv_norm_scope="group")[:, 0]
    assert adv[:4].tolist() == pytest.approx([1.5, -0.5, -0.5, -0.5], rel=1e-4)
    assert adv[4:19].tolist() == pytest.approx([0.25] * 15, rel=1e-4)
    assert adv[19].item() == 0.0
    assert pop_filter_metrics()["adv_filter/filtered_frac"] == pytest.approx(1 / 20)


def test_padding_tokens_stay_zero_and_are_not_counted():
    data = outcome_batch([1.0] * 255 + [0.0], valid_len=2)
    out = compute_advantage(data, "stable_reinforce", config=algo_config()).batch["advantages"]
    assert out[:, 2:].abs().sum().item() == 0.0
    assert pop_filter_metrics()["adv_filter/filtered_token_frac"] == pytest.approx(2 / 512)


@pytest.mark.parametrize("fields", [{"adv_norm_scope": "token"}, {"adv_filter_threshold": 0.0}])
def test_bad_settings_fail_naming_the_key(fields):
    with pytest.raises(Exception, match="r1_reward.adv_filter"):
        algo_config(**fields)
