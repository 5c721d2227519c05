"""Cost of StableReinforce over verl's stock pieces, measured side by side in one run.

    python benchmarks/bench_algos.py [--device cpu|cuda] [--dtype float32|bfloat16] [--repeats 30]

On (256 x 1024) tensors: loss forward+backward time of ``stable_reinforce`` / ``vanilla`` (target <= 1.05) and
advantage-estimator time of ``stable_reinforce`` / ``reinforce_plus_plus`` (target <= 1.1). The two sides run
interleaved, and the ratio of medians is printed.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from omegaconf import OmegaConf
from verl.trainer.ppo.core_algos import get_adv_estimator_fn, get_policy_loss_fn
from verl.utils.config import omega_conf_to_dataclass

import r1_reward.register  # noqa: F401  (registers the plug-ins)

BATCH, LENGTH = 256, 1024


def actor_config(loss_mode: str):
    cfg = {
        "_target_": "verl.workers.config.ActorConfig",
        "strategy": "fsdp2",
        "ppo_mini_batch_size": 4,
        "ppo_micro_batch_size_per_gpu": 4,
        "rollout_n": 1,
        "policy_loss": {"_target_": "r1_reward.algos.pre_clip.PreClipPolicyLossConfig", "loss_mode": loss_mode},
    }
    return omega_conf_to_dataclass(OmegaConf.create(cfg))


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: str) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def loss_step(loss_mode: str, tensors: dict):
    """One forward+backward of a registered policy loss on fresh leaf log-probs."""
    config, loss_fn = actor_config(loss_mode), get_policy_loss_fn(loss_mode)

    def run():
        log_prob = tensors["log_prob"].detach().requires_grad_(True)
        loss, _ = loss_fn(tensors["old"], log_prob, tensors["adv"], tensors["mask"], config=config)
        loss.backward()

    return run


def estimator_step(name: str, tensors: dict):
    config = OmegaConf.create({"gamma": 1.0, "adv_filter_threshold": 3.0, "adv_norm_scope": "batch"})
    fn = get_adv_estimator_fn(name)
    return lambda: fn(
        token_level_rewards=tensors["rewards"],
        response_mask=tensors["mask"],
        config=config,
        index=np.arange(tensors["rewards"].shape[0]),
    )


def make_tensors(device: str, dtype: torch.dtype, rows: int = BATCH, length: int = LENGTH) -> dict:
    """Seeded rollout-shaped tensors: old/new log-probs, advantages, a full mask, a 0/1 reward on the last token."""
    gen = torch.Generator().manual_seed(0)
    old = -torch.rand(rows, length, generator=gen) * 5
    rewards = torch.zeros(rows, length)
    rewards[:, -1] = (torch.rand(rows, generator=gen) > 0.3).float()
    tensors = {
        "old": old,
        "log_prob": old + torch.randn(rows, length, generator=gen) * 0.5,
        "adv": torch.randn(rows, length, generator=gen),
        "mask": torch.ones(rows, length),
        "rewards": rewards,
    }
    return {k: v.to(device=device, dtype=dtype if k != "mask" else torch.float32) for k, v in tensors.items()}


def ratio(ours, theirs, device: str, repeats: int) -> tuple[float, float, float]:
    """(ours / theirs, ours ms, theirs ms): medians of the two sides timed interleaved, after 3 warm-up rounds."""
    for _ in range(3):
        ours(), theirs()
    t_ours, t_theirs = [], []
    for _ in range(repeats):
        t_ours.append(timed(ours, device))
        t_theirs.append(timed(theirs, device))
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    return a / b, a * 1e3, b * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tensors = make_tensors(args.device, getattr(torch, args.dtype))
    print(
        f"device={args.device} dtype={args.dtype} shape=({BATCH} x {LENGTH}) repeats={args.repeats} "
        f"threads={torch.get_num_threads()}"
    )
    rows = [
        (
            "loss fwd+bwd stable_reinforce / vanilla",
            1.05,
            ratio(loss_step("stable_reinforce", tensors), loss_step("vanilla", tensors), args.device, args.repeats),
        ),
        (
            "estimator stable_reinforce / reinforce_plus_plus",
            1.10,
            ratio(
                estimator_step("stable_reinforce", tensors),
                estimator_step("reinforce_plus_plus", tensors),
                args.device,
                args.repeats,
            ),
        ),
    ]
    for name, target, (r, ours_ms, theirs_ms) in rows:
        verdict = "ok" if r <= target else "OVER TARGET"
        print(f"{name:52s} ratio {r:.3f} (target <= {target}) [{ours_ms:.2f} ms vs {theirs_ms:.2f} ms] {verdict}")


if __name__ == "__main__":
    main()
