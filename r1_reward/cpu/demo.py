"""``python -m r1_reward.cpu.demo``: the whole R1-Reward pipeline on a CPU, end to end (about 16 minutes on 2 cores).

1. build the tiny random Qwen2.5-VL (and Qwen2 judge) and the toy preference task (``r1_reward.cpu.tiny_model``,
   ``r1_reward.data.toy``);
2. cold-start SFT with verl's SFT trainer (``r1_reward.cpu.sft_cpu``, ``conf/sft``);
3. StableReinforce RL with ``r1_reward.main_ppo +experiment=stable_reinforce judge=pool +profile=cpu_tiny``: the
   hf rollout, the R1 reward manager and the consistency judge served by verl's reward-model pool (hf server);
4. held-out accuracy before SFT, after SFT and after RL, each pair judged in both answer orders
   (``python -m r1_reward.evaluate run --benchmark toy --order both``), the reward curve, and where everything is.

Every Ray- or torch.distributed-based stage runs in a loopback-only network namespace (``unshare -n``).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy


def namespaced(argv: list[str]) -> list[str]:
    """``argv`` inside a network namespace that has only loopback (Ray's daemons bind every interface)."""
    quoted = " ".join(f"'{arg}'" for arg in argv)
    return ["unshare", "-n", "bash", "-c", f"ip link set lo up && exec {quoted}"]


def run_logged(argv: list[str], log_path: Path, env: dict[str, str]) -> None:
    """Run a stage with its output in ``log_path``; on failure show the log's end and name the file."""
    with open(log_path, "w") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{tail}\n\nstage failed (exit {done.returncode}); full log: {log_path}")


def evaluate(model: Path, test_file: Path, out: Path, env: dict[str, str]) -> float:
    """Held-out accuracy (%), both answer orders, greedy, with the project's evaluator (unparseable = wrong)."""
    argv = [sys.executable, "-m", "r1_reward.evaluate", "run", "--benchmark", "toy", "--data", str(test_file),
            "--judge", "transformers", "--model", str(model), "--order", "both", "--out", str(out),
            "--max-new-tokens", "48", "--batch-size", "32"]  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".predictions.jsonl").unlink(missing_ok=True)  # a rerun judges afresh
    run_logged(argv, out.with_suffix(".log"), env)
    result = json.loads(out.read_text())
    shown, unparseable = result["n_presentations"], result["unparseable_rate"]
    print(f"[demo]   {shown} presentations, {unparseable:.0%} unparseable", flush=True)
    return 100.0 * result["overall_acc"]


def cold_start(out: Path, steps: int, lr: float, env: dict[str, str]) -> Path:
    """verl SFT on the toy cold-start data; returns the HF checkpoint it writes."""
    argv = [sys.executable, "-m", "r1_reward.cpu.sft_cpu", "+profile=cpu_tiny",
            f"data.train_files={out / 'data' / 'sft_train.parquet'}", f"model.path={out / 'model' / 'vl'}",
            f"trainer.total_training_steps={steps}", f"trainer.default_local_dir={out / 'sft'}",
            "trainer.total_epochs=100", f"trainer.save_freq={steps}", f"optim.lr={lr}",
            "data.train_batch_size=8", "data.micro_batch_size_per_gpu=8"]  # fmt: skip
    run_logged(namespaced(argv), out / "sft.log", env)
    return out / "sft" / f"global_step_{steps}" / "huggingface"


def reinforce(out: Path, policy: Path, steps: int, env: dict[str, str]) -> tuple[Path, list[float]]:
    """StableReinforce from the SFT model; returns the RL HF checkpoint and the mean reward per step."""
    metrics = out / "rl_metrics.jsonl"
    argv = [sys.executable, "-m", "r1_reward.main_ppo", "+experiment=stable_reinforce", "judge=pool",
            "+profile=cpu_tiny", f"actor_rollout_ref.model.path={policy}",
            f"reward.reward_model.model_path={out / 'model' / 'text'}", "r1_reward.reward.on_judge_failure=zero",
            f"trainer.total_training_steps={steps}", "trainer.total_epochs=100", f"trainer.save_freq={steps}",
            f"trainer.default_local_dir={out / 'rl'}", "trainer.resume_mode=disable",
            "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]"]  # fmt: skip
    run_logged(namespaced(argv), out / "rl.log", env | {"VERL_FILE_LOGGER_PATH": str(metrics)})
    curve = [json.loads(line)["data"]["critic/score/mean"] for line in metrics.read_text().splitlines() if line]
    return out / "rl" / f"global_step_{steps}" / "actor" / "huggingface", curve


def sparkline(values: list[float]) -> str:
    """The reward curve in one line of block characters."""
    blocks = "▁▂▃▄▅▆▇█"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(blocks[min(7, math.floor((v - low) / span * 8))] for v in values)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Tiny R1-Reward pipeline on CPU: SFT → StableReinforce → accuracy.")
    parser.add_argument("--out", default="outputs/demo", help="folder for model, data, checkpoints, logs")
    parser.add_argument("--train", type=int, default=512, help="toy training pairs (even)")
    parser.add_argument("--test", type=int, default=16, help="held-out toy pairs (even)")
    parser.add_argument("--kinds", default="colour", help=f"comma-separated toy question kinds from {toy.KINDS}")
    parser.add_argument("--sft-steps", type=int, default=400, help="SFT optimizer steps (batch 8)")
    parser.add_argument("--sft-lr", type=float, default=2e-3, help="SFT learning rate")
    parser.add_argument("--rl-steps", type=int, default=20, help="RL steps (batch 8)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


class Stages:
    """Runs the named stages in order, printing progress and keeping each one's wall time."""

    def __init__(self):
        self.times: dict[str, float] = {}

    def run(self, name: str, work):
        print(f"[demo] {name} ...", flush=True)
        started = time.monotonic()
        result = work()
        self.times[name] = time.monotonic() - started
        print(f"[demo] {name} done in {self.times[name]:.1f}s", flush=True)
        return result


def _stage_env(out: Path) -> dict[str, str]:
    """This checkout on the path of every stage, offline, and the demo folder as the cpu_tiny profile's folder."""
    paths = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
    python_path = os.pathsep.join(filter(None, paths))
    return os.environ | {"PYTHONPATH": python_path, "HF_HUB_OFFLINE": "1", "R1_TINY_DIR": str(out)}


def _print_summary(summary: dict) -> None:
    print("\n== r1_reward CPU demo ==")
    for name, value in summary["accuracy_pct"].items():
        print(f"held-out toy accuracy {name:>10}: {value:5.1f}%  (both answer orders; chance 50%)")
    curve = summary["reward_curve"]
    print(f"RL reward per step: {sparkline(curve)}  {[round(v, 2) for v in curve]}")
    times = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in summary["stage_s"].items())
    print(f"stage times: {times}; total {summary['total_s']:.0f}s")
    for name, path in summary["paths"].items():
        print(f"{name}: {path}")


def main() -> None:
    args = _arguments()
    out = Path(args.out).resolve()
    env, stages, accuracy = _stage_env(out), Stages(), {}
    test_file = out / "data" / "test.parquet"

    def write_data():
        return toy.write(out / "data", args.train, args.test, args.seed, args.kinds.split(","))

    stages.run("build", lambda: (build(out / "model", args.seed), write_data()))
    base = out / "model" / "vl"
    accuracy["before SFT"] = stages.run("eval_base", lambda: evaluate(base, test_file, out / "eval/base.json", env))
    sft_model = stages.run("sft", lambda: cold_start(out, args.sft_steps, args.sft_lr, env))
    accuracy["after SFT"] = stages.run("eval_sft", lambda: evaluate(sft_model, test_file, out / "eval/sft.json", env))
    rl_model, curve = stages.run("rl", lambda: reinforce(out, sft_model, args.rl_steps, env))
    accuracy["after RL"] = stages.run("eval_rl", lambda: evaluate(rl_model, test_file, out / "eval/rl.json", env))
    summary = {
        "accuracy_pct": accuracy, "reward_curve": curve, "stage_s": stages.times, "total_s": sum(stages.times.values()),
        "paths": {"sft_model": str(sft_model), "rl_model": str(rl_model), "rl_metrics": str(out / "rl_metrics.jsonl"),
                  "eval": str(out / "eval"), "logs": str(out), "summary": str(out / "demo_summary.json")},
    }  # fmt: skip
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))
    _print_summary(summary)


if __name__ == "__main__":
    main()
