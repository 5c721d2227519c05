"""Real end-to-end runs of verl's trainer on CPU: ``main_ppo +experiment=stable_reinforce +profile=cpu_tiny``,
inside a loopback-only network namespace (Ray binds all interfaces).

Ray workers, FSDP2 on gloo, the ``hf`` rollout, the R1 reward manager and verl's checkpointing all run for real. The
rollout is the transformers server (``rollout.name=hf``: seconds to start, against 1-3 minutes for a vLLM engine);
the profile's default vLLM rollout has its own e2e tests (tests/cpu/test_cpu_vllm_e2e.py).
Each run prints its wall time and step times (``-s`` shows them).
"""

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy
from r1_reward.verl_glue.quiet import OPTIONAL_ENGINES

pytestmark = pytest.mark.e2e

RUN_TIMEOUT_S = 600
REPO = Path(__file__).resolve().parents[2]


def namespaced(argv: list[str]) -> list[str]:
    """``argv`` run under ``unshare -n`` with only the loopback interface up."""
    quoted = " ".join(f"'{arg}'" for arg in argv)
    return ["unshare", "-n", "bash", "-c", f"ip link set lo up && exec {quoted}"]


def main_ppo_command(overrides: list[str]) -> list[str]:
    return namespaced([sys.executable, "-m", "r1_reward.main_ppo", "+experiment=stable_reinforce", "+profile=cpu_tiny",
                       "actor_rollout_ref.rollout.name=hf"] + overrides)  # fmt: skip


def run_env(tiny_dir: Path, metrics_path: Path | None) -> dict[str, str]:
    """Environment of a run: this checkout on the path, offline, the tiny folder and the metrics file (None: the
    run folder's)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VERL_FILE_LOGGER")}
    env |= {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "R1_TINY_DIR": str(tiny_dir), "RAY_DEDUP_LOGS": "0"}
    return env | ({"VERL_FILE_LOGGER_PATH": str(metrics_path)} if metrics_path else {})


def start(overrides: list[str], tiny_dir: Path, metrics_path: Path | None, log_path: Path) -> subprocess.Popen:
    """Start a training run in its own session (so the whole process group can be killed); its run folder is
    ``<log dir>/run``."""
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process by the caller's wait()
    return subprocess.Popen(
        main_ppo_command([*overrides, f"hydra.run.dir={log_path.parent / 'run'}"]), cwd=REPO,
        env=run_env(tiny_dir, metrics_path), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def read_metrics(path: Path) -> list[dict]:
    """verl's file logger: one JSON line per step, ``{"step": n, "data": {...}}``."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cpu_tiny")
    build(root / "model", seed=0)
    toy.write(root / "data", n_train=32, n_test=8, seed=0)  # 4 batches of 8: one epoch covers 3 steps
    return root


def _finish(process, log_path, label: str) -> float:
    started = time.monotonic()
    returncode = process.wait(timeout=RUN_TIMEOUT_S)
    assert returncode == 0, f"{label} failed (exit {returncode}):\n{tail(log_path)}"
    return time.monotonic() - started


def _report(label: str, wall_s: float, metrics: list[dict]) -> None:
    steps = ", ".join(f"{m['step']}: {m['data']['timing_s/step']:.2f}s" for m in metrics)
    print(f"\n[{label}] wall {wall_s:.1f}s; step times {steps}")


def test_two_step_smoke_logs_stable_reinforce_metrics(tiny_dir, tmp_path):
    log_path, run = tmp_path / "run.log", tmp_path / "run"
    started = time.monotonic()
    process = start(["trainer.total_training_steps=2"], tiny_dir, None, log_path)
    _finish(process, log_path, "2-step smoke")
    # Every output is in the run folder, named at start and end; the start-up stays quiet (no config dump).
    metrics = read_metrics(run / "metrics.jsonl")
    _report("smoke", time.monotonic() - started, metrics)
    log = log_path.read_text(errors="replace")
    assert log.count(f"r1_reward run folder: {run}") == 2
    assert (run / "config.yaml").is_file() and (run / "main_ppo.log").is_file()
    assert (run / "checkpoints" / "global_step_2").is_dir()  # saved at the last step by default
    # verl's optional-engine warnings: only the driver's own (it imports verl before reading the config), not the
    # ~70 of the Ray workers; and no config dump.
    assert len(re.findall(r"UserWarning: \w+ engine is not available", log)) <= len(OPTIONAL_ENGINES)
    assert "'actor_rollout_ref': {" not in log
    print(f"[smoke] {len(log.splitlines())} log lines")
    assert [m["step"] for m in metrics] == [1, 2]
    for step in metrics:
        data = step["data"]
        # The StableReinforce plug-ins ran: pre-clip loss (actor) and 3-sigma filter (advantage) report their metrics.
        assert 0.0 <= data["actor/pre_clipfrac"] <= 1.0
        assert 0.0 <= data["adv_filter/filtered_frac"] <= 1.0
        assert math.isfinite(data["actor/pg_loss"]) and math.isfinite(data["actor/loss"])
        assert data["response_length/mean"] > 0
        # The R1 reward manager scored the batch (an untrained model earns 0; a score is never NaN).
        assert math.isfinite(data["critic/score/mean"]) and data["critic/score/min"] >= 0.0
        # r1_reward/verl_glue/trainer.py added the training-time reward metrics from the per-sample sub-scores; their
        # mean score is the same number verl computes from the reward tensor (no padding rows at batch 8).
        assert data["reward/mean"] == pytest.approx(data["critic/score/mean"], abs=1e-5)
        assert 0.0 <= data["reward/format_rate"] <= 1.0 and 0.0 <= data["reward/accuracy"] <= 1.0
        assert 0.0 <= data["reward/judge_failures"] <= data["reward/judge_calls"] <= 8


def _wait_for_checkpoint(process, checkpoint_dir, log_path, step: int) -> None:
    """Block until verl has finished writing checkpoint ``step`` (its tracker file names it)."""
    tracker = checkpoint_dir / "latest_checkpointed_iteration.txt"
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not (tracker.exists() and tracker.read_text().strip() == str(step)):
        assert process.poll() is None, f"run ended before checkpoint {step}:\n{tail(log_path)}"
        assert time.monotonic() < deadline, f"no checkpoint {step} after {RUN_TIMEOUT_S}s:\n{tail(log_path)}"
        time.sleep(0.5)


def test_sigkilled_run_resumes_from_its_checkpoint_and_finishes(tiny_dir, tmp_path):
    checkpoint_dir = tmp_path / "checkpoints"
    overrides = ["trainer.total_training_steps=3", "trainer.save_freq=1", f"trainer.default_local_dir={checkpoint_dir}"]
    first_log = tmp_path / "first.log"
    started = time.monotonic()
    process = start(overrides, tiny_dir, tmp_path / "first.jsonl", first_log)
    _wait_for_checkpoint(process, checkpoint_dir, first_log, step=1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    killed_after_s = time.monotonic() - started
    assert (checkpoint_dir / "global_step_1").is_dir()

    second_log, second_metrics = tmp_path / "second.log", tmp_path / "second.jsonl"
    resumed_at = time.monotonic()
    _finish(start(overrides, tiny_dir, second_metrics, second_log), second_log, "resumed run")
    metrics = read_metrics(second_metrics)
    _report(f"resume (first run killed after {killed_after_s:.1f}s)", time.monotonic() - resumed_at, metrics)
    # The rerun picked up at step 2 (not 1) and stopped at the configured final step 3.
    assert [m["step"] for m in metrics] == [2, 3]
    assert (checkpoint_dir / "latest_checkpointed_iteration.txt").read_text().strip() == "3"
