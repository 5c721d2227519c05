"""Issue #11 fidelity fixes, each checked against the paper's numbers (§3.1, Algorithm 1) or hand-computed values."""

import logging
import math
import sys
from pathlib import Path

import pytest
import torch
from hydra_compose import compose_config
from verl.trainer.ppo.core_algos import get_policy_loss_fn
from verl.utils.config import omega_conf_to_dataclass

from r1_reward.algos.adv_filter import check_group_reach, max_group_z, validate_filter_config
from r1_reward.nonfinite import NonFiniteMonitor

sys.path.insert(0, str(Path(__file__).parent))
from helpers import actor_config  # noqa: E402
from test_algos_pre_clip import token_losses  # noqa: E402

composed = compose_config


def test_pre_clip_off_is_plain_ppo_on_the_paper_example():
    # §3.1: plain PPO clip gives loss = [19930.4, 1.1, -0.5, 67.1]; by hand e^9.9, e^0.1, -0.5·e^0.1, 0.5·e^4.9.
    losses = token_losses(actor_config(enabled=False))
    assert losses == pytest.approx([19930.370, 1.105171, -0.552585, 67.144894], rel=1e-5)
    assert [round(x, 1) for x in losses] == [19930.4, 1.1, -0.6, 67.1]  # the paper rounds -0.553 to -0.5


def test_verl_vanilla_is_not_that_baseline():
    # verl's vanilla always applies dual-clip (clip_ratio_c = 3): 3·|A| caps tokens 1 and 4 (issue #11's numbers).
    losses = token_losses(actor_config("vanilla"))
    assert losses == pytest.approx([3.0, 1.105171, -0.552585, 1.5], rel=1e-5)


def test_dual_clip_stays_available_without_pre_clip():
    losses = token_losses(actor_config(enabled=False, dual_clip=True))
    assert losses == pytest.approx([3.0, 1.105171, -0.552585, 1.5], rel=1e-5)


@pytest.mark.parametrize("experiment", ["no_pre_clip", "reinforce_pp"])
def test_table5_baselines_compose_to_plain_ppo(experiment):
    config = composed(f"+experiment={experiment}")
    actor = omega_conf_to_dataclass(config.actor_rollout_ref.actor)
    assert actor.policy_loss.loss_mode == "stable_reinforce"
    assert actor.policy_loss.enabled is False and actor.policy_loss.dual_clip is False
    assert token_losses(actor)[0] == pytest.approx(19930.370, rel=1e-5)


def test_stable_reinforce_aggregates_per_sequence_then_over_sequences():
    config = composed("+experiment=stable_reinforce")
    actor = omega_conf_to_dataclass(config.actor_rollout_ref.actor)
    assert actor.loss_agg_mode == "seq-mean-token-mean"
    # Two sequences, A = 1, ratio 1 (loss -1 per token) on seq 1 (3 tokens) and A = 2 on seq 2 (1 token):
    # paper 1/|t| Σ_t per sequence then mean: (-1 + -2) / 2 = -1.5; verl's token-mean would give -5/4.
    adv = torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    zeros = torch.zeros(2, 3)
    loss, _ = get_policy_loss_fn("stable_reinforce")(zeros, zeros, adv, mask, loss_agg_mode=actor.loss_agg_mode,
                                                     config=actor)  # fmt: skip
    assert loss.item() == pytest.approx(-1.5)


@pytest.mark.parametrize(("n", "expected"), [(4, 1.5), (10, 9 / math.sqrt(10)), (11, 10 / math.sqrt(11))])
def test_largest_group_z_by_hand(n, expected):
    assert max_group_z(n) == pytest.approx(expected)


def test_group_scope_that_cannot_filter_is_refused_naming_the_fix():
    # (10 - 1)/sqrt(10) = 2.846 <= 3: no sample of a 10-group can ever be filtered; 11 reaches 3.015.
    with pytest.raises(ValueError, match=r"rollout.n>=11"):
        check_group_reach(3.0, "group", 10)
    check_group_reach(3.0, "group", 11)
    check_group_reach(3.0, "batch", 1)
    check_group_reach(None, "group", 2)


def test_config_time_check_on_composed_configs():
    with pytest.raises(ValueError, match="r1_reward.adv_filter.scope=group"):
        validate_filter_config(composed("+experiment=stable_reinforce", "r1_reward.adv_filter.scope=group",
                                        "actor_rollout_ref.rollout.n=8"))  # fmt: skip
    validate_filter_config(composed("+experiment=stable_reinforce", "r1_reward.adv_filter.scope=group",
                                    "actor_rollout_ref.rollout.n=16"))  # fmt: skip


def test_log_bound_100_overflow_is_reported_as_nonfinite():
    # Table 6's bound 100 never binds, so a log-ratio of 90 overflows exp in fp32: loss inf, flagged by the loss.
    config = actor_config(log_bound=100.0)
    loss, metrics = get_policy_loss_fn("stable_reinforce")(
        torch.tensor([[-90.0, -0.1]]),
        torch.tensor([[0.0, -0.1]]),
        torch.tensor([[-1.0, 1.0]]),
        torch.ones(1, 2),
        config=config,
    )
    assert not math.isfinite(loss.item())
    assert metrics["actor/nonfinite_loss_frac"] == 1.0
    _, ok = get_policy_loss_fn("stable_reinforce")(
        torch.tensor([[-90.0, -0.1]]),
        torch.tensor([[0.0, -0.1]]),
        torch.tensor([[-1.0, 1.0]]),
        torch.ones(1, 2),
        config=actor_config(),
    )
    assert ok["actor/nonfinite_loss_frac"] == 0.0  # the default bound log(1e3) keeps it finite


def test_monitor_counts_steps_and_names_the_metric(caplog):
    monitor = NonFiniteMonitor()
    with caplog.at_level(logging.WARNING, logger="r1_reward.nonfinite"):
        first = monitor.update({"actor/pg_loss": 0.3, "actor/grad_norm": 1.0}, step=1)
        second = monitor.update({"actor/pg_loss": float("nan"), "actor/grad_norm": float("inf")}, step=2)
        third = monitor.update({"actor/pg_loss": 0.1, "actor/nonfinite_loss_frac": 0.25}, step=3)
    assert first == {"training/nonfinite_step": 0.0, "training/nonfinite_steps": 0.0}
    assert second == {"training/nonfinite_step": 1.0, "training/nonfinite_steps": 1.0}
    assert third == {"training/nonfinite_step": 1.0, "training/nonfinite_steps": 2.0}
    assert monitor.steps == [2, 3]
    assert "step 2: non-finite actor/pg_loss, actor/grad_norm" in caplog.text
    assert "step 3: non-finite actor/nonfinite_loss_frac" in caplog.text
