"""Table 5 in miniature: StableReinforce against its ablations in an off-policy regime that stresses the ratio.

    python benchmarks/stability.py [--seeds 3] [--steps 12] [--regimes default,stress] [--out outputs/stability]

Every run starts from the same cold-start SFT checkpoint (tiny Qwen2.5-VL on the toy task, trained in-script and
cached under ``<out>/sft``) and trains with ``benchmarks/mini_rl.py``: the variant's config composed from
``conf/experiment/<variant>.yaml`` as ``main_ppo`` composes it, our reward (rule consistency judge), the estimator
and the policy loss that verl's registries serve (see that module for what it does and does not mirror).
Each rollout batch of ``--batch`` samples (``rollout.n`` = 1, batch z-score as in the paper) is reused for
``ppo_epochs`` = 2 passes of 4 mini-batches: 8 optimizer steps per batch, so the last mini-batch is 7 updates
off-policy. Regimes (``REGIMES``): ``default`` keeps verl's gradient clip 1.0 at lr 1e-3; ``stress`` raises the lr
to 1e-2 and lifts the gradient clip (1e6), so a large loss moves the weights by as much as it says.
Writes ``<out>/stability.json`` (every step of every run), ``stability.md`` (the table), ``stability.png`` (means
over seeds), one verl-file-logger ``metrics/<regime>_<variant>_s<seed>.jsonl`` per run and its dynamics plot for
the first seed of ``stable_reinforce`` (``r1_reward.plot``). Regimes can run as parallel processes that share one
SFT checkpoint: ``--regimes default --out A --sft-cache C`` and ``--regimes stress --out B --sft-cache C``.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from tqdm import tqdm
from verl.utils.config import omega_conf_to_dataclass

import r1_reward.register  # noqa: F401  (registers the loss and the estimator)
from r1_reward.cpu import tiny_model
from r1_reward.data import toy

# The in-process RL loop beside this script (benchmarks/mini_rl.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mini_rl  # noqa: E402

CONF = Path(__file__).resolve().parents[1] / "conf"
VARIANTS = ("stable_reinforce", "reinforce_pp", "no_pre_clip", "no_adv_filter")
# Hydra overrides per regime on top of each experiment (ppo_mini_batch_size and train_batch_size are added per run).
REGIMES = {
    "default": {"actor_rollout_ref.actor.optim.lr": 1e-3, "actor_rollout_ref.actor.optim.clip_grad": 1.0},
    "stress": {"actor_rollout_ref.actor.optim.lr": 1e-2, "actor_rollout_ref.actor.optim.clip_grad": 1e6},
}
OFF_POLICY = {"actor_rollout_ref.actor.ppo_epochs": 2, "actor_rollout_ref.actor.shuffle": True}
MINI_BATCHES = 4  # mini-batches per epoch
MAX_NEW_TOKENS = 48  # the cold-start target is at most 45 tokens with <|im_end|> (the demo uses 48 too)


def variant_configs(variant: str, regime: str, batch: int):
    """The experiment's actor and algorithm configs as verl's dataclasses, with the regime's overrides."""
    overrides = (
        REGIMES[regime]
        | OFF_POLICY
        | {
            "data.train_batch_size": batch,
            "actor_rollout_ref.actor.ppo_mini_batch_size": batch // MINI_BATCHES,
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": batch // MINI_BATCHES,
        }
    )
    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        config = compose("r1_reward", [f"+experiment={variant}"] + [f"{k}={v}" for k, v in overrides.items()])
    return omega_conf_to_dataclass(config.actor_rollout_ref.actor), omega_conf_to_dataclass(config.algorithm)


def sft_checkpoint(out: Path, steps: int, batch: int, lr: float) -> Path:
    """Build the tiny model and cold-start it on the toy task once; later runs reuse the cached folder."""
    path = out / f"sft_{steps}x{batch}_lr{lr:g}"
    if (path / "config.json").exists():
        return path
    base = tiny_model.build(out / "base")["vl"]
    policy = mini_rl.load_policy(base)
    pairs = toy.generate(steps * batch, seed=0)
    batches = [(pairs[i : i + batch], [toy.cold_start_target(p) for p in pairs[i : i + batch]])
               for i in range(0, len(pairs), batch)]  # fmt: skip
    torch.manual_seed(0)
    with tqdm(total=steps, desc="cold-start SFT", unit="step") as bar:
        mini_rl.sft(policy, batches, lr, progress=lambda loss: (bar.update(), bar.set_postfix(loss=f"{loss:.3f}")))
    policy.model.save_pretrained(path)
    policy.processor.save_pretrained(path)
    return path


def train(sft: Path, variant: str, regime: str, seed: int, args) -> list[dict]:
    """One run: ``args.steps`` rollout batches; held-out accuracy every ``args.eval_every`` steps and at the end."""
    actor_config, algo_config = variant_configs(variant, regime, args.batch)
    policy = mini_rl.load_policy(sft)
    optimizer = mini_rl.make_optimizer(policy, actor_config)
    torch.manual_seed(seed)
    train_pairs, test_pairs = toy.generate(args.train, seed=seed), toy.generate(args.test, seed=1_000_003)
    rng, history = np.random.default_rng(seed), []
    for step in range(1, args.steps + 1):
        pairs = [train_pairs[i] for i in rng.choice(len(train_pairs), args.batch, replace=False)]
        policy.model.train()
        metrics = mini_rl.rl_step(policy, optimizer, actor_config, algo_config, pairs, MAX_NEW_TOKENS)
        if step % args.eval_every == 0 or step == args.steps:
            metrics["heldout_accuracy"] = mini_rl.accuracy(policy, test_pairs, MAX_NEW_TOKENS)
        history.append({"step": step} | metrics)
    return history


def summarise(runs: list[dict], start_accuracy: float) -> list[dict]:
    """One row per regime × variant: figures over its seeds (sums, maxima, means of the last step)."""
    rows = []
    for key in dict.fromkeys((r["regime"], r["variant"]) for r in runs):
        group = [r["history"] for r in runs if (r["regime"], r["variant"]) == key]
        steps = [s for h in group for s in h]
        finite = [s["max_abs_loss"] for s in steps if math.isfinite(s["max_abs_loss"])]
        rows.append({
            "regime": key[0], "variant": key[1], "seeds": len(group),
            "nonfinite_loss_steps": sum(s["nonfinite_loss"] > 0 for s in steps),
            "nonfinite_grad_steps": sum(s["nonfinite_grad"] > 0 for s in steps),
            "max_abs_loss": max(finite, default=math.nan),
            "max_grad_norm": float(np.nanmax([s["grad_norm"] for s in steps])),
            "pre_clipfrac": float(np.mean([s["pre_clipfrac"] for s in steps])),
            "filtered_frac": float(np.mean([s["filtered_frac"] for s in steps])),
            "reward_first": float(np.mean([h[0]["reward"] for h in group])),
            "reward_last": float(np.mean([h[-1]["reward"] for h in group])),
            "heldout_start": start_accuracy,
            "heldout_end": float(np.mean([h[-1]["heldout_accuracy"] for h in group])),
            "heldout_end_min": float(np.min([h[-1]["heldout_accuracy"] for h in group])),
        })  # fmt: skip
    return rows


COLUMNS = [
    ("regime", "{}"), ("variant", "{}"), ("seeds", "{}"), ("nonfinite_loss_steps", "{}"),
    ("nonfinite_grad_steps", "{}"), ("max_abs_loss", "{:.3g}"), ("max_grad_norm", "{:.3g}"),
    ("pre_clipfrac", "{:.4f}"), ("filtered_frac", "{:.3f}"), ("reward_first", "{:.2f}"), ("reward_last", "{:.2f}"),
    ("heldout_start", "{:.1%}"), ("heldout_end", "{:.1%}"), ("heldout_end_min", "{:.1%}"),
]  # fmt: skip


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt.format(row[name]) for name, fmt in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_file_logger(path: Path, history: list[dict]) -> None:
    """The run's steps as verl's file logger writes them (``{"step": n, "data": {...}}``), verl metric names."""
    names = {"reward": "reward/mean", "accuracy": "reward/accuracy", "format": "reward/format_rate",
             "consistency": "reward/consistency_rate", "pre_clipfrac": "actor/pre_clipfrac",
             "filtered_frac": "adv_filter/filtered_frac", "response_length": "response_length/mean",
             "grad_norm": "actor/grad_norm", "max_abs_loss": "actor/max_abs_loss",
             "heldout_accuracy": "val/heldout_accuracy"}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for s in history:
            data = {names[k]: v for k, v in s.items() if k in names}
            f.write(json.dumps({"step": s["step"], "data": data}) + "\n")


def plot(runs: list[dict], rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("reward", "reward (rollouts)"), ("heldout_accuracy", "held-out accuracy"),
              ("max_abs_loss", "max |loss| per step"), ("grad_norm", "max grad norm per step"),
              ("pre_clipfrac", "pre_clipfrac"), ("filtered_frac", "filtered_frac")]  # fmt: skip
    regimes = list(dict.fromkeys(r["regime"] for r in runs))
    fig, axes = plt.subplots(len(regimes), len(panels), figsize=(4 * len(panels), 3.2 * len(regimes)), squeeze=False)
    for i, regime in enumerate(regimes):
        for j, (key, title) in enumerate(panels):
            ax = axes[i][j]
            for variant in VARIANTS:
                group = [r["history"] for r in runs if r["regime"] == regime and r["variant"] == variant]
                if not group:
                    continue
                points = {}
                for history in group:
                    for s in history:
                        if key in s and math.isfinite(s[key]):
                            points.setdefault(s["step"], []).append(s[key])
                xs = sorted(points)
                ax.plot(xs, [np.mean(points[x]) for x in xs], marker=".", label=variant)
            if key in ("max_abs_loss", "grad_norm"):
                ax.set_yscale("log")
            ax.set_title(f"{regime}: {title}", fontsize=9)
            ax.set_xlabel("step")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/stability"), help="output folder")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per variant")
    parser.add_argument("--steps", type=int, default=8, help="rollout batches per run")
    parser.add_argument("--batch", type=int, default=16, help="rollouts per batch (a multiple of 4)")
    parser.add_argument("--train", type=int, default=64, help="toy training pairs")
    parser.add_argument("--test", type=int, default=32, help="held-out toy pairs (both answer orders, balanced)")
    parser.add_argument("--eval-every", type=int, default=4, help="held-out accuracy every this many steps")
    parser.add_argument("--sft-steps", type=int, default=300, help="cold-start SFT steps (cached per setting)")
    parser.add_argument("--sft-batch", type=int, default=8, help="cold-start SFT batch")
    parser.add_argument("--sft-lr", type=float, default=2e-3, help="cold-start SFT learning rate")
    parser.add_argument(
        "--sft-cache", type=Path, default=None, help="folder of the cached SFT checkpoint (default: --out)"
    )
    parser.add_argument("--regimes", default="default,stress", help=f"comma-separated, from {list(REGIMES)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated experiment names")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core box)")
    args = parser.parse_args(argv)
    if args.batch % MINI_BATCHES:
        parser.error(f"--batch must be a multiple of {MINI_BATCHES} (mini-batches per epoch)")
    return args


def main(argv=None) -> dict:
    args, started = arguments(argv), time.monotonic()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    sft = sft_checkpoint(args.sft_cache or args.out, args.sft_steps, args.sft_batch, args.sft_lr)
    start_accuracy = mini_rl.accuracy(mini_rl.load_policy(sft), toy.generate(args.test, seed=1_000_003), MAX_NEW_TOKENS)
    print(f"SFT checkpoint {sft}: held-out accuracy {start_accuracy:.1%}", flush=True)
    plan = [(g, v, s) for g in args.regimes.split(",") for v in args.variants.split(",") for s in range(args.seeds)]
    runs = []
    for regime, variant, seed in tqdm(plan, desc="runs", unit="run"):
        history = train(sft, variant, regime, seed, args)
        runs.append({"regime": regime, "variant": variant, "seed": seed, "history": history})
        write_file_logger(args.out / "metrics" / f"{regime}_{variant}_s{seed}.jsonl", history)
    rows = summarise(runs, start_accuracy)
    result = {"settings": vars(args) | {"out": str(args.out)}, "regimes": REGIMES | {"off_policy": OFF_POLICY},
              "sft_heldout_accuracy": start_accuracy, "summary": rows, "runs": runs,
              "wall_s": time.monotonic() - started}  # fmt: skip
    (args.out / "stability.json").write_text(json.dumps(result, indent=1, default=str))
    (args.out / "stability.md").write_text(markdown(rows))
    plot(runs, rows, args.out / "stability.png")
    first = args.out / "metrics" / f"{args.regimes.split(',')[0]}_{args.variants.split(',')[0]}_s0.jsonl"
    from r1_reward.plot import plot_run

    plot_run(first, first.with_suffix(".png"))
    print(markdown(rows))
    print(f"SFT held-out accuracy {start_accuracy:.1%}; wall {result['wall_s']:.0f} s; files in {args.out}")
    return result


if __name__ == "__main__":
    main()
