"""A real sweep: ``main_ppo -m`` over two pre-clip bounds with the CPU profile, one Ray per run, in a loopback netns.

Two runs (not the README's 2 x 2) keep it near two minutes; the second run only gets resources because the sweep
callback shuts down the first run's Ray.
"""

import json
import os
import sys
from pathlib import Path

import pytest

from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RUNS = [
    "+experiment=stable_reinforce,+profile=cpu_tiny,actor_rollout_ref.rollout.name=hf,r1_reward.pre_clip.log_bound=5,"
    "trainer.total_training_steps=1",
    "+experiment=stable_reinforce,+profile=cpu_tiny,actor_rollout_ref.rollout.name=hf,r1_reward.pre_clip.log_bound=10,"
    "trainer.total_training_steps=1",
]


def test_two_point_cpu_sweep_gives_two_runs_and_their_summary(loopback_netns, tmp_path):
    build(tmp_path / "tiny" / "model", seed=0)
    toy.write(tmp_path / "tiny" / "data", n_train=16, n_test=8, seed=0)
    sweep_dir = tmp_path / "sweep"
    # The transformers rollout (seconds to start; vLLM has its own e2e tests).
    overrides = ["+experiment=stable_reinforce", "+profile=cpu_tiny", "actor_rollout_ref.rollout.name=hf",
                 "r1_reward.pre_clip.log_bound=5,10",
                 "trainer.total_training_steps=1", f"hydra.sweep.dir={sweep_dir}"]  # fmt: skip
    argv = [sys.executable, "-m", "r1_reward.main_ppo", "-m", *overrides]
    env = {key: value for key, value in os.environ.items() if not key.startswith("VERL_FILE_LOGGER")}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", R1_TINY_DIR=str(tmp_path / "tiny"))
    result = loopback_netns(argv, timeout=600, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    for run in RUNS:
        outcome = json.loads((sweep_dir / run / "result.json").read_text())
        assert (outcome["status"], outcome["error"], outcome["experiment_name"]) == ("COMPLETED", "", run)
        assert outcome["metrics"]["step"] == 1 and 0.0 <= outcome["metrics"]["actor/pre_clipfrac"] <= 1.0
        # Each run's folder is its sweep dir: its own metrics, checkpoints (saved at the last step by default), config.
        assert [json.loads(line)["step"] for line in (sweep_dir / run / "metrics.jsonl").read_text().splitlines()] == [
            1
        ]
        assert (sweep_dir / run / "checkpoints" / "global_step_1").is_dir()
        assert (sweep_dir / run / "config.yaml").is_file()
    assert not (sweep_dir / "metrics").exists()  # issue #22: metrics no longer land under <sweep dir>/metrics
    rows = [line for line in (sweep_dir / "summary.md").read_text().splitlines() if "| COMPLETED |" in line]
    assert sorted(row.split(" | ")[0].lstrip("| ") for row in rows) == sorted(RUNS)
