"""Fuzz the pre-clip loss: random batches with huge log-ratios and advantages, counting non-finite values.

    python benchmarks/fuzz_algos.py [--batches 10000]

Prints, per dtype and log-ratio range, how many batches gave a non-finite loss or gradient for
``stable_reinforce`` (pre-clip at δ = 1e-3, 1e3), for the same loss with an unclamped ``exp`` (log_bound = inf),
and for verl's ``vanilla`` (which clamps the log-ratio at ±20 and adds dual-clip), plus the largest |loss|.
tests/algos/test_algos_fuzz.py runs the same harness.
"""

import argparse
import math
from dataclasses import dataclass

import torch
from omegaconf import OmegaConf
from verl.trainer.ppo.core_algos import get_policy_loss_fn
from verl.utils.config import omega_conf_to_dataclass

import r1_reward.register  # noqa: F401  (registers the loss)

VARIANTS = {
    "stable_reinforce": ("stable_reinforce", {}),
    "unclamped_exp": ("stable_reinforce", {"log_bound": math.inf}),
    "verl_vanilla": ("vanilla", {}),
}


@dataclass
class FuzzResult:
    batches: int
    nonfinite_loss: int
    nonfinite_grad: int
    max_abs_loss: float


def actor_config(loss_mode: str, **policy_loss: float):
    """A verl ActorConfig with our policy-loss config class."""
    return omega_conf_to_dataclass(
        OmegaConf.create(
            {
                "_target_": "verl.workers.config.ActorConfig",
                "strategy": "fsdp2",
                "ppo_mini_batch_size": 4,
                "ppo_micro_batch_size_per_gpu": 4,
                "rollout_n": 1,
                "policy_loss": {
                    "_target_": "r1_reward.algos.pre_clip.PreClipPolicyLossConfig",
                    "loss_mode": loss_mode,
                    **policy_loss,
                },
            }
        )
    )


def random_batch(gen: torch.Generator, max_log_diff: float, max_adv: float, shape=(4, 64)):
    """Old log-probs, a log-ratio that is extreme on a random quarter of tokens, advantages up to ±max_adv."""
    old = -torch.rand(shape, generator=gen) * 20
    extreme = torch.rand(shape, generator=gen) < 0.25
    diff = torch.where(
        extreme, (torch.rand(shape, generator=gen) * 2 - 1) * max_log_diff, torch.randn(shape, generator=gen) * 0.1
    )
    adv = (torch.rand(shape, generator=gen) * 2 - 1) * max_adv
    mask = (torch.rand(shape, generator=gen) > 0.1).float()
    return old, old + diff, adv, mask


def fuzz(variant: str, batches: int, max_log_diff: float, max_adv: float, dtype: torch.dtype, seed: int = 0):
    """Run ``batches`` random batches through one loss variant and count non-finite losses and gradients."""
    loss_mode, fields = VARIANTS[variant]
    config, loss_fn = actor_config(loss_mode, **fields), get_policy_loss_fn(loss_mode)
    gen = torch.Generator().manual_seed(seed)
    bad_loss = bad_grad = 0
    max_abs = 0.0
    for _ in range(batches):
        old, new, adv, mask = (t.to(dtype) for t in random_batch(gen, max_log_diff, max_adv))
        new.requires_grad_(True)
        loss, _ = loss_fn(old, new, adv, mask, config=config)
        loss.backward()
        finite = bool(torch.isfinite(loss))
        bad_loss += not finite
        bad_grad += not bool(torch.isfinite(new.grad).all())
        if finite:
            max_abs = max(max_abs, abs(loss.item()))
    return FuzzResult(batches, bad_loss, bad_grad, max_abs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10_000)
    args = parser.parse_args()
    header = ("dtype", "|log-ratio|<=", "variant", "batches", "bad loss", "bad grad", "max|loss|")
    print("{:9} {:>13} {:17} {:>7} {:>8} {:>8} {:>10}".format(*header))
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        for max_log_diff in (50.0, 100.0):
            for variant in VARIANTS:
                r = fuzz(variant, args.batches, max_log_diff, 1e3, dtype)
                print(
                    f"{str(dtype).split('.')[-1]:9} {max_log_diff:>13.0f} {variant:17} {r.batches:>7} "
                    f"{r.nonfinite_loss:>8} {r.nonfinite_grad:>8} {r.max_abs_loss:>10.3g}"
                )


if __name__ == "__main__":
    main()
