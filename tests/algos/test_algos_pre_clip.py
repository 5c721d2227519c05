"""The pre-clip policy loss (paper §3.1, Algorithm 1) as verl's registry serves it."""

import math
import sys
from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException
from verl.trainer.ppo.core_algos import get_policy_loss_fn

sys.path.insert(0, str(Path(__file__).parent))
from helpers import actor_config  # noqa: E402

# §2.1 worked example: log π, log π_old and advantages for four tokens.
LOG_PROBS = [-0.1, -0.1, -0.1, -0.1]
OLD_LOG_PROBS = [-10.0, -0.2, -0.2, -5.0]
ADVANTAGES = [-1.0, -1.0, 0.5, -0.5]


def token_losses(config) -> list[float]:
    """Per-token loss: each token evaluated as its own one-token batch."""
    loss_fn = get_policy_loss_fn(config.policy_loss.loss_mode)
    losses = []
    for lp, olp, adv in zip(LOG_PROBS, OLD_LOG_PROBS, ADVANTAGES):
        one = torch.tensor([[1.0]])
        loss, _ = loss_fn(torch.tensor([[olp]]), torch.tensor([[lp]]), torch.tensor([[adv]]), one, config=config)
        losses.append(loss.item())
    return losses


def test_registry_serves_our_function():
    from r1_reward.algos.pre_clip import compute_policy_loss_stable_reinforce

    assert get_policy_loss_fn("stable_reinforce") is compute_policy_loss_stable_reinforce


def test_paper_example_without_pre_clip_reproduces_the_blow_up():
    # A log bound of 100 never binds here; the paper reports loss = [19930.4, 1.1, -0.5, 67.1].
    # By hand: e^9.9 = 19930.37, e^0.1 = 1.10517, 0.5 * e^0.1 = 0.55259, 0.5 * e^4.9 = 67.14.
    losses = token_losses(actor_config(log_bound=100.0))
    assert losses == pytest.approx([19930.370, 1.105171, -0.552585, 67.144894], rel=1e-5)


def test_paper_example_with_pre_clip_caps_the_first_token():
    # log(1e3) = 6.9078 < 9.9, so token 1's ratio becomes exactly 1000 and its loss 1000 * |A| = 1000;
    # the other tokens' log-ratios (0.1, 0.1, 4.9) are inside the bounds and keep their values.
    losses = token_losses(actor_config())
    assert losses == pytest.approx([1000.0, 1.105171, -0.552585, 67.144894], rel=1e-5)


def test_pre_clip_fraction_metric_counts_clamped_tokens():
    config = actor_config()
    loss_fn = get_policy_loss_fn("stable_reinforce")
    mask = torch.ones(1, 4)
    _, metrics = loss_fn(
        torch.tensor([OLD_LOG_PROBS]), torch.tensor([LOG_PROBS]), torch.tensor([ADVANTAGES]), mask, config=config
    )
    assert metrics["actor/pre_clipfrac"] == pytest.approx(0.25)
    # PPO's own clip binds on tokens 1 and 4 (ratios 1000 and 134 with A < 0 choose the unclipped branch, so
    # pg_clipfrac, which counts where the clipped loss is larger, is 0 there); tokens 2-3 are inside 1 ± 0.2.
    assert metrics["actor/pg_clipfrac"] == pytest.approx(0.0)


def test_lower_bound_clamps_vanishing_ratios():
    # log-ratio -9.9 < log(1e-3): ratio = 1e-3; with A = +1 the loss is -max... = -(1e-3) (unclipped branch).
    config = actor_config()
    loss, metrics = get_policy_loss_fn("stable_reinforce")(
        torch.tensor([[-0.1]]), torch.tensor([[-10.0]]), torch.tensor([[1.0]]), torch.ones(1, 1), config=config
    )
    assert loss.item() == pytest.approx(-1e-3, rel=1e-5)
    assert metrics["actor/pre_clipfrac"] == 1.0


@pytest.mark.parametrize("dual_clip", [True, False])
def test_equals_verl_vanilla_when_nothing_is_pre_clipped(dual_clip):
    # Log-ratios within ±2 never reach log(1e3); with dual_clip on, verl's clip_ratio_c bound is shared,
    # and with it off the advantages are kept positive so the dual-clip bound cannot bind in vanilla either.
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        old = -torch.rand(8, 32, generator=gen) * 5
        new = old + (torch.rand(8, 32, generator=gen) * 4 - 2)
        adv = torch.randn(8, 32, generator=gen) * 3
        if not dual_clip:
            adv = adv.abs()
        mask = (torch.rand(8, 32, generator=gen) > 0.2).float()
        ours, ours_metrics = get_policy_loss_fn("stable_reinforce")(
            old, new, adv, mask, config=actor_config(dual_clip=dual_clip)
        )
        ref, ref_metrics = get_policy_loss_fn("vanilla")(old, new, adv, mask, config=actor_config("vanilla"))
        torch.testing.assert_close(ours, ref)
        for name, value in ref_metrics.items():
            assert ours_metrics[name] == pytest.approx(value, abs=1e-6), name
        assert ours_metrics["actor/pre_clipfrac"] == 0.0


def test_log_bound_overrides_deltas():
    from r1_reward.algos.pre_clip import log_ratio_bounds

    assert log_ratio_bounds(actor_config().policy_loss) == pytest.approx((math.log(1e-3), math.log(1e3)))
    assert log_ratio_bounds(actor_config(log_bound=5.0).policy_loss) == (-5.0, 5.0)
    assert log_ratio_bounds(actor_config(delta_min=0.1, delta_max=5.0).policy_loss) == pytest.approx(
        (math.log(0.1), math.log(5.0))
    )


@pytest.mark.parametrize(
    "fields",
    [{"delta_min": 2.0}, {"delta_max": 0.5}, {"delta_min": 0.0}, {"log_bound": -1.0}],
)
def test_bad_bounds_fail_at_config_time_naming_the_key(fields):
    # verl builds the config through hydra.instantiate, which wraps our ValueError; the message survives.
    with pytest.raises((ValueError, InstantiationException), match="r1_reward.pre_clip"):
        actor_config(**fields)
