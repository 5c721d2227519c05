"""``python -m r1_reward.cpu.demo``: R1-Reward's consistency reward at work on a CPU, on the real trainer.

The design is §3.2's observation made on purpose. The cold start teaches the reasoning but not the decision: every
SFT target's reasoning names the right response (``The image shows red. Response 2 says red. Response 2 is
better.``), while its ``<answer>`` digit agrees with that reasoning in only half of the rows
(``r1_reward.data.toy``, ``sft_answers="coin"``). After SFT the model reasons well and answers at chance: reasoning
and final answer disagree. StableReinforce with the consistency reward (Final = Result × (1 + 0.5 × Consistency) +
0.5 × Format) then has to make them agree, and held-out accuracy rises with the agreement.

1. build the tiny random Qwen2.5-VL (``r1_reward.cpu.tiny_model``, decoder sizes ``MODEL_SIZES``) and the toy
   colour task (``r1_reward.data.toy``);
2. cold-start SFT with verl's SFT trainer (``r1_reward.cpu.sft_cpu``, ``conf/sft``);
3. StableReinforce with ``r1_reward.main_ppo +experiment=stable_reinforce +profile=cpu_tiny judge=rule``: the
   profile's rollout (Ray, FSDP2), the R1 reward manager, the rule consistency judge; its run folder gets the
   training-dynamics plot (``r1_reward.plot``);
4. after SFT and after RL: held-out accuracy (each pair in both answer orders), how often the answer agrees with
   the reasoning, how often the reasoning is right, unparseable rate and position bias (``r1_reward.evaluate``).

Every Ray- or torch.distributed-based stage runs in a loopback-only network namespace (``unshare -n``).
``benchmarks/learning.py`` runs these stages for several seeds.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy

# Decoder of the demo's policy: heads of 32 (what vLLM's CPU attention takes); 451k parameters.
MODEL_SIZES = {"hidden_size": 128, "intermediate_size": 256, "num_attention_heads": 4, "num_key_value_heads": 1}
# The evaluator's figures the demo prints, in its order: (metrics key, column title).
FIGURES = (
    ("overall_acc", "held-out accuracy"),
    ("reasoning_agrees_rate", "answer agrees with reasoning"),
    ("reasoning_right_rate", "reasoning right"),
    ("unparseable_rate", "unparseable"),
    ("position_bias", "position bias"),
)


@dataclass(frozen=True)
class Settings:
    """Everything a demo run depends on (the CLI's options; ``benchmarks/learning.py`` varies the seed)."""

    out: Path = Path("outputs/demo")
    seed: int = 0
    # Spread of the random weights: at transformers' 0.02 the tiny ViT's features barely differ between pictures and
    # the cold start never reads the colour (reasoning right 50%); at 0.2 it does (81% in one run, results/).
    init_std: float = 0.2
    train: int = 512  # toy training pairs
    test: int = 32  # held-out pairs, each judged in both answer orders
    kinds: str = "colour"
    sft_steps: int = 120
    sft_batch: int = 32
    sft_lr: float = 2e-3
    rl_steps: int = 30
    rl_batch: int = 8  # prompts per step
    rl_n: int = 4  # rollouts per prompt
    rl_temperature: float = 0.7
    rl_lr: float = 5e-4


def namespaced(argv: list[str]) -> list[str]:
    """``argv`` inside a network namespace that has only loopback (Ray's daemons bind every interface)."""
    quoted = " ".join(f"'{arg}'" for arg in argv)
    return ["unshare", "-n", "bash", "-c", f"ip link set lo up && exec {quoted}"]


def run_logged(argv: list[str], log_path: Path, env: dict[str, str]) -> None:
    """Run a stage with its output in ``log_path``; on failure show the log's end and name the file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{tail}\n\nstage failed (exit {done.returncode}); full log: {log_path}")


def stage_env(out: Path) -> dict[str, str]:
    """This checkout on the path of every stage, offline, the demo folder as the cpu_tiny profile's folder, and
    verl's file logger left to the run folder."""
    paths = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERL_FILE_LOGGER")}
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, paths)), "HF_HUB_OFFLINE": "1", "R1_TINY_DIR": str(out)}


def prepare(settings: Settings) -> dict[str, Path]:
    """The tiny model (``out/model/vl``) and the toy task's RL and cold-start parquet (``out/data``)."""
    out = settings.out
    model = build(out / "model", settings.seed, settings.init_std, **MODEL_SIZES)
    data = toy.write(out / "data", settings.train, settings.test, settings.seed, settings.kinds.split(","), "coin")
    return {"model": model["vl"], **data}


def sft_command(settings: Settings) -> list[str]:
    """verl's SFT trainer on the cold-start parquet (reasoning right, answer digit a coin)."""
    out, steps = settings.out, settings.sft_steps
    return [sys.executable, "-m", "r1_reward.cpu.sft_cpu", "+profile=cpu_tiny",
            f"data.train_files={out / 'data' / 'sft_train.parquet'}", f"model.path={out / 'model' / 'vl'}",
            f"data.train_batch_size={settings.sft_batch}", f"data.micro_batch_size_per_gpu={settings.sft_batch}",
            f"optim.lr={settings.sft_lr}", f"trainer.total_training_steps={steps}", "trainer.total_epochs=1000",
            f"trainer.save_freq={steps}", f"trainer.seed={settings.seed}",
            f"trainer.default_local_dir={out / 'sft' / 'checkpoints'}", f"hydra.run.dir={out / 'sft'}"]  # fmt: skip


def cold_start(settings: Settings, env: dict[str, str]) -> Path:
    """Run the SFT stage; returns the HF checkpoint it writes."""
    run_logged(namespaced(sft_command(settings)), settings.out / "sft" / "sft.log", env)
    return settings.out / "sft" / "checkpoints" / f"global_step_{settings.sft_steps}" / "huggingface"


def rl_command(settings: Settings, policy: Path) -> list[str]:
    """StableReinforce from ``policy`` with the rule consistency judge, its run folder ``out/rl``."""
    steps = settings.rl_steps
    return [sys.executable, "-m", "r1_reward.main_ppo", "+experiment=stable_reinforce", "+profile=cpu_tiny",
            "judge=rule", f"actor_rollout_ref.model.path={policy}", f"data.train_batch_size={settings.rl_batch}",
            f"actor_rollout_ref.actor.ppo_mini_batch_size={settings.rl_batch}",
            f"actor_rollout_ref.rollout.n={settings.rl_n}",
            f"actor_rollout_ref.rollout.temperature={settings.rl_temperature}",
            f"actor_rollout_ref.actor.optim.lr={settings.rl_lr}", f"data.seed={settings.seed}",
            f"actor_rollout_ref.rollout.seed={settings.seed}",
            f"trainer.total_training_steps={steps}", "trainer.total_epochs=1000", f"trainer.save_freq={steps}",
            "trainer.resume_mode=disable", f"hydra.run.dir={settings.out / 'rl'}"]  # fmt: skip


def reinforce(settings: Settings, policy: Path, env: dict[str, str]) -> Path:
    """Run the RL stage and draw its dynamics plot; returns the run folder (``metrics.jsonl``, ``checkpoints/``)."""
    from r1_reward.plot import plot_run

    run = settings.out / "rl"
    run_logged(namespaced(rl_command(settings, policy)), settings.out / "rl.log", env)
    plot_run(run / "metrics.jsonl", run / "dynamics.png")
    return run


def evaluate(model: Path, test_file: Path, out: Path, env: dict[str, str]) -> dict:
    """The evaluator's metrics on a toy split: both answer orders, greedy, unparseable = wrong."""
    argv = [sys.executable, "-m", "r1_reward.evaluate", "run", "--benchmark", "toy", "--data", str(test_file),
            "--judge", "transformers", "--model", str(model), "--order", "both", "--out", str(out),
            "--max-new-tokens", "48", "--batch-size", "32"]  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".predictions.jsonl").unlink(missing_ok=True)  # a rerun judges afresh
    run_logged(argv, out.with_suffix(".log"), env)
    return json.loads(out.read_text())


def figures(metrics: dict) -> dict[str, float | None]:
    """The printed figures of one evaluation, in percent (None where the evaluator could not measure one)."""
    return {key: None if metrics.get(key) is None else 100.0 * metrics[key] for key, _ in FIGURES}


def training_curve(run: Path, name: str) -> list[float]:
    """One metric of the RL run per step, from verl's file logger (NaN where a step did not log it or logged null:
    ``reward/consistency_rate`` is null on a step with no right answer)."""
    steps = [json.loads(line)["data"] for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [math.nan if step.get(name) is None else float(step[name]) for step in steps]


class Stages:
    """Runs the named stages in order, printing progress and keeping each one's wall time."""

    def __init__(self, label: str = "demo"):
        self.label = label
        self.times: dict[str, float] = {}

    def run(self, name: str, work):
        print(f"[{self.label}] {name} ...", flush=True)
        started = time.monotonic()
        result = work()
        self.times[name] = time.monotonic() - started
        print(f"[{self.label}] {name} done in {self.times[name]:.1f}s", flush=True)
        return result


def run_stages(settings: Settings, label: str = "demo") -> dict:
    """build → SFT → eval → RL → eval; returns the summary (also written to ``out/demo_summary.json``)."""
    out = settings.out.resolve()
    settings = replace(settings, out=out)
    env, stages = stage_env(out), Stages(label)
    paths = stages.run("build", lambda: prepare(settings))
    sft_model = stages.run("sft", lambda: cold_start(settings, env))
    after_sft = stages.run("eval_sft", lambda: evaluate(sft_model, paths["test"], out / "eval" / "sft.json", env))
    run = stages.run("rl", lambda: reinforce(settings, sft_model, env))
    rl_model = run / "checkpoints"
    after_rl = stages.run("eval_rl", lambda: evaluate(rl_model, paths["test"], out / "eval" / "rl.json", env))
    summary = {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "model_sizes": MODEL_SIZES,
        "figures": {"after SFT": figures(after_sft), "after RL": figures(after_rl)},
        "rl_reward": training_curve(run, "critic/score/mean"),
        "rl_consistency": training_curve(run, "reward/consistency_rate"),
        "rl_step_s": training_curve(run, "timing_s/step"),
        "stage_s": stages.times,
        "total_s": sum(stages.times.values()),
        "paths": {"sft_model": str(sft_model), "rl_run": str(run), "rl_model": str(rl_model),
                  "plot": str(run / "dynamics.png"), "eval": str(out / "eval"), "test": str(paths["test"]),
                  "summary": str(out / "demo_summary.json")},
    }  # fmt: skip
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def sparkline(values: list[float]) -> str:
    """A curve in one line of block characters (a space where a value is missing)."""
    blocks = "▁▂▃▄▅▆▇█"
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low, span = min(finite), (max(finite) - min(finite)) or 1.0
    return "".join(blocks[min(7, math.floor((v - low) / span * 8))] if math.isfinite(v) else " " for v in values)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def summary_lines(summary: dict) -> list[str]:
    """What the demo prints at the end (the README quotes these lines)."""
    width = max(len(title) for _, title in FIGURES)
    lines = [f"{'':<10}" + "".join(f"{title:>{width + 2}}" for _, title in FIGURES)]
    for stage, values in summary["figures"].items():
        lines.append(f"{stage:<10}" + "".join(f"{_pct(values[key]):>{width + 2}}" for key, _ in FIGURES))
    sft, rl = summary["figures"]["after SFT"], summary["figures"]["after RL"]
    lines.append(f"RL changed held-out accuracy by {rl['overall_acc'] - sft['overall_acc']:+.1f} points and "
                 f"answer/reasoning agreement by {rl['reasoning_agrees_rate'] - sft['reasoning_agrees_rate']:+.1f}"
                 f" points (held-out: {summary['settings']['test']} pairs x 2 answer orders; chance 50%)")  # fmt: skip
    reward, consistency = summary["rl_reward"], summary["rl_consistency"]
    lines.append(f"RL reward per step (rollouts): {sparkline(reward)} mean of first 5 steps {_mean(reward[:5]):.2f}, "
                 f"last 5 {_mean(reward[-5:]):.2f} (max 2.0)")  # fmt: skip
    lines.append(f"RL consistency rate (right answers): first 5 steps {_mean(consistency[:5]):.2f}, "
                 f"last 5 {_mean(consistency[-5:]):.2f}")  # fmt: skip
    times = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in summary["stage_s"].items())
    lines.append(f"stage times: {times}; total {summary['total_s']:.0f}s; "
                 f"RL step median {_median(summary['rl_step_s']):.1f}s")  # fmt: skip
    lines += [f"{name}: {path}" for name, path in summary["paths"].items()]
    return lines


def _median(values: list[float]) -> float:
    finite = sorted(v for v in values if math.isfinite(v))
    return finite[len(finite) // 2] if finite else math.nan


def add_options(parser: argparse.ArgumentParser) -> None:
    """One option per ``Settings`` field, defaulting to the demo's (``benchmarks/learning.py`` takes them too)."""
    helps = {"out": "folder for model, data, checkpoints, logs", "train": "toy training pairs (even)",
             "test": "held-out pairs (even; each judged in both answer orders)",
             "kinds": f"comma-separated toy question kinds from {toy.KINDS}", "sft_steps": "SFT optimizer steps",
             "sft_batch": "SFT batch", "sft_lr": "SFT learning rate", "rl_steps": "RL steps",
             "rl_batch": "prompts per RL step", "rl_n": "rollouts per prompt", "rl_temperature": "rollout temperature",
             "rl_lr": "actor learning rate", "seed": "model, data, coin and trainer seed",
             "init_std": "std of the tiny model's random weights"}  # fmt: skip
    for name, value in asdict(Settings()).items():
        kind = Path if isinstance(value, Path) else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=value, help=f"{helps[name]} ({value})")


def settings_from(args: argparse.Namespace) -> Settings:
    """The ``Settings`` named by parsed ``add_options`` options (other options are ignored)."""
    return Settings(**{name: getattr(args, name) for name in asdict(Settings())})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="R1-Reward on CPU: cold start → StableReinforce → what RL changed.")
    add_options(parser)
    summary = run_stages(settings_from(parser.parse_args(argv)))
    print("\n== r1_reward CPU demo ==")
    print("\n".join(summary_lines(summary)))


if __name__ == "__main__":
    main()
