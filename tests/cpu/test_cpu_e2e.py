"""Real end-to-end runs of verl's trainer on CPU: ``main_ppo +experiment=stable_reinforce +profile=cpu_tiny``,
inside a loopback-only network namespace (Ray binds all interfaces).

Ray workers, FSDP2 on gloo, the rollout, the R1 reward manager and verl's checkpointing all run for real. The README's
CPU command runs as written, on the profile's vLLM rollout; the other runs use the transformers server
(``rollout.name=hf``: seconds to start, against 0.5-3 minutes for a vLLM engine), since the rollout is not their
subject (the vLLM rollout's own checks: tests/cpu/test_cpu_vllm_e2e.py).
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

import pandas as pd
import pytest

from r1_reward.cpu.demo import namespaced
from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy
from r1_reward.verl_glue.quiet import OPTIONAL_ENGINES

pytestmark = pytest.mark.e2e

RUN_TIMEOUT_S = 600
REPO = Path(__file__).resolve().parents[2]


def main_ppo_command(overrides: list[str], rollout: str | None = "hf") -> list[str]:
    """The README's CPU command plus ``overrides``; ``rollout`` replaces the profile's engine (None: keep vLLM)."""
    engine = [f"actor_rollout_ref.rollout.name={rollout}"] if rollout else []
    return namespaced([sys.executable, "-m", "r1_reward.main_ppo", "+experiment=stable_reinforce", "+profile=cpu_tiny",
                       *engine, *overrides])  # fmt: skip


def run_env(tiny_dir: Path, metrics_path: Path | None) -> dict[str, str]:
    """Environment of a run: this checkout on the path, offline, the tiny folder and the metrics file (None: the
    run folder's)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VERL_FILE_LOGGER")}
    env |= {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "R1_TINY_DIR": str(tiny_dir), "RAY_DEDUP_LOGS": "0"}
    return env | ({"VERL_FILE_LOGGER_PATH": str(metrics_path)} if metrics_path else {})


def start(overrides: list[str], tiny_dir: Path, metrics_path: Path | None, log_path: Path,
          rollout: str | None = "hf") -> subprocess.Popen:  # fmt: skip
    """Start a training run in its own session (so the whole process group can be killed); its run folder is
    ``<log dir>/run``."""
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process by the caller's wait()
    return subprocess.Popen(
        main_ppo_command([*overrides, f"hydra.run.dir={log_path.parent / 'run'}"], rollout), cwd=REPO,
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
    toy.write(root / "data", seed=0)  # the CPU walkthrough's data: 64 rows, 8 steps of 8 in the profile's one epoch
    return root


def _finish(process, log_path, label: str) -> float:
    started = time.monotonic()
    returncode = process.wait(timeout=RUN_TIMEOUT_S)
    assert returncode == 0, f"{label} failed (exit {returncode}):\n{tail(log_path)}"
    return time.monotonic() - started


def _report(label: str, wall_s: float, metrics: list[dict]) -> None:
    steps = ", ".join(f"{m['step']}: {m['data']['timing_s/step']:.2f}s" for m in metrics)
    print(f"\n[{label}] wall {wall_s:.1f}s; step times {steps}")


def test_default_cpu_run_trains_to_its_end_with_stable_reinforce_metrics(tiny_dir, tmp_path):
    """The README's CPU command as written (no step cap, the profile's vLLM rollout): all 8 steps of the profile's
    epoch. Before the position-id fix (r1_reward/verl_glue/position_ids.py) it crashed at step 5 when a batch's rows
    were all one length."""
    log_path, run = tmp_path / "run.log", tmp_path / "run"
    started = time.monotonic()
    process = start([], tiny_dir, None, log_path, rollout=None)
    _finish(process, log_path, "default CPU run")
    # Every output is in the run folder, named at start and end; the start-up stays quiet (no config dump).
    metrics = read_metrics(run / "metrics.jsonl")
    _report("smoke", time.monotonic() - started, metrics)
    log = log_path.read_text(errors="replace")
    assert log.count(f"r1_reward run folder: {run}") == 2
    assert (run / "config.yaml").is_file() and (run / "main_ppo.log").is_file()
    assert (run / "checkpoints" / "global_step_8").is_dir()  # saved at the last step by default
    # verl's optional-engine warnings: only the driver's own (it imports verl before reading the config), not the
    # ~70 of the Ray workers; and no config dump.
    assert len(re.findall(r"UserWarning: \w+ engine is not available", log)) <= len(OPTIONAL_ENGINES)
    assert "'actor_rollout_ref': {" not in log
    print(f"[smoke] {len(log.splitlines())} log lines")
    assert [m["step"] for m in metrics] == list(range(1, 9))
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
        assert_rollout_matches_actor(data)


# The rollout samples from the model the actor trains: verl recomputes every sampled token's probability with the
# actor (old log-probs) and logs the largest gap to the rollout's own. Both compute in fp32 on CPU, so a gap above
# this bound means the two see different inputs (the missing mm_token_type_ids of the hf rollout gave log-prob gaps
# up to 5 on a sharp model) or different weights.
ROLLOUT_ACTOR_PROB_GAP = 0.01


def assert_rollout_matches_actor(data: dict) -> None:
    assert data["training/rollout_probs_diff_valid"] == 1
    assert data["training/rollout_probs_diff_max"] < ROLLOUT_ACTOR_PROB_GAP, data["training/rollout_probs_diff_max"]


def one_prompt_data(tiny_dir: Path, out: Path, copies: int = 16) -> Path:
    """``copies`` rows of the toy task's first prompt (every prompt of a batch has the same length), plus one row
    whose question is far over the profile's data.max_prompt_length (256 tokens)."""
    frame = pd.read_parquet(tiny_dir / "data" / "train.parquet").iloc[[0] * (copies + 1)].reset_index(drop=True)
    long_turn = dict(frame.at[copies, "prompt"][0])
    long_turn["content"] = long_turn["content"].replace("What colour", "What colour " + "is it really " * 200)
    frame.at[copies, "prompt"] = [long_turn]
    out.mkdir(parents=True)
    frame.to_parquet(out / "train.parquet")
    return out / "train.parquet"


def test_rows_of_one_length_train_with_the_rollouts_positions(tiny_dir, tmp_path):
    """verl issue #7899's repro: one prompt 16 times and responses cut at 8 tokens, so every row a rank gets has one
    length. Without r1_reward/verl_glue/position_ids.py this failed at step 1 (split_with_sizes ... [4, 4, ...]).
    A planted over-long prompt is dropped before training (conf/r1_reward.yaml), not a crash."""
    train = one_prompt_data(tiny_dir, tmp_path / "data")
    log_path, run = tmp_path / "run.log", tmp_path / "run"
    overrides = [f"data.train_files={train}", "data.max_response_length=8", "trainer.total_epochs=2",
                 "trainer.total_training_steps=3"]  # fmt: skip
    started = time.monotonic()
    _finish(start(overrides, tiny_dir, None, log_path), log_path, "one-length rows")
    metrics = read_metrics(run / "metrics.jsonl")
    _report("one-length rows", time.monotonic() - started, metrics)
    log = log_path.read_text(errors="replace")
    assert "dataset len: 17" in log and "filter dataset len: 16" in log  # verl's own count, before and after
    assert [m["step"] for m in metrics] == [1, 2, 3]
    # In at least one step every response hit the 8-token cap, so every row of the batch had one length (a random
    # model may end a response early); in every step the recomputed old log-probs, which go through verl's
    # micro-batch chunking, match the rollout's token for token.
    assert any(step["data"]["response_length/clip_ratio"] == 1.0 for step in metrics)
    for step in metrics:
        assert_rollout_matches_actor(step["data"])
        assert step["data"]["rollout/failed_sessions"] == 0


def _wait_for_step(process, metrics_path: Path, log_path: Path, step: int) -> None:
    """Block until the run's metrics file has the line of ``step`` (verl logs it after that step's checkpoint)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not (metrics_path.exists() and step in [m["step"] for m in read_metrics(metrics_path)]):
        assert process.poll() is None, f"run ended before step {step}:\n{tail(log_path)}"
        assert time.monotonic() < deadline, f"no step {step} after {RUN_TIMEOUT_S}s:\n{tail(log_path)}"
        time.sleep(0.5)


def test_sigkilled_run_resumes_from_its_checkpoint_and_keeps_its_history(tiny_dir, tmp_path):
    # issue #23: a run killed after step 3 and resumed to step 6 in the same run folder. Checkpoints every 2 steps, so
    # the killed launch logged step 3 after its last checkpoint (2); the resumed launch redoes 3. Before, verl's file
    # logger (opened "wb") cut metrics.jsonl down to the resumed launch's steps.
    overrides = ["trainer.total_training_steps=6", "trainer.total_epochs=2", "trainer.save_freq=2"]
    first_log, run = tmp_path / "first.log", tmp_path / "run"
    started = time.monotonic()
    process = start(overrides, tiny_dir, None, first_log)
    _wait_for_step(process, run / "metrics.jsonl", first_log, step=3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    killed_after_s = time.monotonic() - started
    before = [m["step"] for m in read_metrics(run / "metrics.jsonl")]
    assert before[:3] == [1, 2, 3] and (run / "checkpoints" / "global_step_2").is_dir()

    second_log = tmp_path / "second.log"
    resumed_at = time.monotonic()
    _finish(start([*overrides, "trainer.test_freq=-1"], tiny_dir, None, second_log), second_log, "resumed run")
    metrics = read_metrics(run / "metrics.jsonl")
    _report(f"resume (first run killed after {killed_after_s:.1f}s)", time.monotonic() - resumed_at, metrics)
    print(f"[resume] metrics.jsonl steps before the resume {before}, after {[m['step'] for m in metrics]}")
    assert [m["step"] for m in metrics] == [1, 2, 3, 4, 5, 6]  # each step once, none lost
    superseded = [m["step"] for m in read_metrics(run / "metrics.superseded.jsonl")]
    assert superseded == before[2:] == [3]  # the killed launch's step 3 (killed during step 4): redone
    launches = [json.loads(line) for line in (run / "launches.jsonl").read_text().splitlines()]
    assert [(e["resumes_from_step"], e["overrides"][-1]) for e in launches] == [
        (0, "trainer.save_freq=2"),
        (2, "trainer.test_freq=-1"),
    ]
    log = (run / "main_ppo.log").read_text()
    assert [int(n) for n in re.findall(r"\[verl\.console\]\[INFO\] - step:(\d+) - ", log)][-4:] == [3, 4, 5, 6]
    assert (run / "checkpoints" / "latest_checkpointed_iteration.txt").read_text().strip() == "6"
