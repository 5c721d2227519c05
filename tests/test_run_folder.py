"""Every run's outputs go under one run folder (issue #13: metrics landed inside the package, no checkpoint)."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra_compose import compose_config

import r1_reward.main_ppo as main_ppo
from r1_reward import run_folder
from r1_reward.run_folder import place_outputs

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def started(monkeypatch, tmp_path):
    """``main_ppo.run`` up to verl's ``run_ppo``, which records what it was handed instead of starting Ray."""
    seen = {}
    for name in ("VERL_FILE_LOGGER_PATH", "VERL_FILE_LOGGER_ROOT", "TENSORBOARD_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(main_ppo, "validate", lambda _: None)
    monkeypatch.setattr(main_ppo, "probe_judge", lambda _: None)
    monkeypatch.setattr(main_ppo.preflight, "check", lambda _: None)
    monkeypatch.setattr(main_ppo, "check_cluster", lambda _: None)  # nor the GPU count (this machine has none)
    monkeypatch.setattr("verl.trainer.main_ppo.run_ppo", lambda config, task_runner_class: seen.update(config=config))

    def start(*overrides: str):
        main_ppo.run(
            compose_config("+experiment=stable_reinforce", "actor_rollout_ref.model.path=/ckpt/sft", *overrides)
        )
        return seen["config"]

    return start


def test_outputs_go_to_one_folder_named_at_start_and_end(started, tmp_path, capsys):
    config = started()
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("r1_reward run folder: ")]
    assert len(printed) == 2 and printed[0] == printed[1]
    folder = Path(printed[0].removeprefix("r1_reward run folder: "))
    assert folder.parent == tmp_path / "runs" / "stable_reinforce"  # not r1_reward/<experiment>.jsonl
    assert config.trainer.default_local_dir == str(folder / "checkpoints")
    env_vars = config.ray_kwargs.ray_init.runtime_env.env_vars
    assert env_vars.VERL_FILE_LOGGER_PATH == str(folder / "metrics.jsonl")
    assert env_vars.TENSORBOARD_DIR == str(folder / "tensorboard")
    saved = yaml.safe_load((folder / "config.yaml").read_text())
    assert saved["trainer"]["default_local_dir"] == str(folder / "checkpoints")
    assert config.trainer.save_freq > 0  # a checkpoint is saved by default (verl's -1 saves none)


def test_explicit_paths_are_kept(started, monkeypatch, tmp_path):
    # What the demo and the e2e tests pass: a metrics file in the environment and a checkpoint dir override.
    monkeypatch.setenv("VERL_FILE_LOGGER_PATH", str(tmp_path / "mine.jsonl"))
    config = started(f"trainer.default_local_dir={tmp_path / 'ckpt'}")
    assert config.trainer.default_local_dir == str(tmp_path / "ckpt")
    assert "VERL_FILE_LOGGER_PATH" not in config.ray_kwargs.ray_init.runtime_env.env_vars


def test_a_users_metrics_root_is_kept(tmp_path):
    # a user's VERL_FILE_LOGGER_ROOT (e.g. one shared folder for many runs) wins over the run folder
    config = compose_config("+experiment=stable_reinforce")
    place_outputs(config, tmp_path / "run", {"VERL_FILE_LOGGER_ROOT": str(tmp_path / "metrics")})
    assert "VERL_FILE_LOGGER_PATH" not in (config.ray_kwargs.ray_init.runtime_env.env_vars or {})
    assert config.trainer.default_local_dir == str(tmp_path / "run" / "checkpoints")


def test_hydra_names_the_run_folder_after_the_experiment_and_time():
    config = compose_config("+experiment=stable_reinforce", config_name="r1_reward")
    hydra_run_dir = yaml.safe_load((REPO / "conf" / "r1_reward.yaml").read_text())["hydra"]["run"]["dir"]
    assert hydra_run_dir == "runs/${trainer.experiment_name}/${now:%Y-%m-%d_%H-%M-%S}"
    assert config.trainer.default_local_dir is None  # filled in by run_folder.place_outputs


def test_tensorboard_default_folder_is_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "tensorboard_log/" in ignored and "/runs/" in ignored


APP = REPO / "tests" / "resume_app.py"
RESUME = ["+experiment=stable_reinforce", "actor_rollout_ref.model.path=/ckpt/sft", "trainer.logger=[console,file]",
          "trainer.total_training_steps=5", "trainer.save_freq=2"]  # fmt: skip


def launch(cwd: Path, launch_number: int, *overrides: str, kill_after: int = 0) -> subprocess.CompletedProcess:
    """One launch of tests/resume_app.py (main_ppo's entry, verl's Tracking, no Ray) into ``cwd/run``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VERL_FILE_LOGGER", "R1_REWARD"))}
    env.update(PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", LAUNCH=str(launch_number), KILL_AFTER_STEP=str(kill_after))
    argv = [sys.executable, str(APP), *RESUME, *overrides, "hydra.run.dir=run"]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def steps(path: Path) -> list[int]:
    return [json.loads(line)["step"] for line in path.read_text().splitlines()]


def test_a_resumed_run_keeps_its_history(tmp_path):
    # issue #23: the relaunch cut metrics.jsonl down to its own steps (verl's file logger opens it "wb"), replaced the
    # overrides file, and main_ppo.log held one warning line (the per-step log was on the console only)
    # verl validates before training (val_before_train, on by default) at the step it starts from: 0, then 2
    first = launch(tmp_path, 1, kill_after=3)  # checkpoints at 2; step 3 logged after it, then the kill
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    run = tmp_path / "run"
    assert steps(run / "metrics.jsonl") == [0, 1, 2, 3]
    second = launch(tmp_path, 2, "trainer.test_freq=5")
    assert second.returncode == 0, second.stderr[-3000:]

    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2, 3, 4, 5]  # each step once, none lost
    assert [line["data"].get("launch") for line in lines] == [None, 1, 1, 2, 2, 2]  # 3 redone from checkpoint 2
    assert lines[2]["data"]["val-core/toy/acc"] == 0.5  # the resumed launch's validation at step 2, merged in
    assert lines[2]["data"]["actor/pg_loss"] == 0.2  # beside the killed launch's training metrics of step 2
    superseded = [json.loads(line) for line in (run / "metrics.superseded.jsonl").read_text().splitlines()]
    assert [(line["step"], line["data"]["launch"]) for line in superseded] == [(3, 1)]

    launches = [json.loads(line) for line in (run / "launches.jsonl").read_text().splitlines()]
    assert [(e["launch"], e["resumes_from_step"], e["superseded_metrics_lines"]) for e in launches] == [
        (1, 0, 0),
        (2, 2, 1),
    ]
    assert launches[0]["overrides"] == RESUME  # Hydra's task overrides (hydra.* ones are in "argv")
    assert launches[1]["overrides"] == [*RESUME, "trainer.test_freq=5"]
    assert launches[1]["argv"][-1] == "hydra.run.dir=run"

    log = (run / "resume_app.log").read_text()  # Hydra's <job name>.log: main_ppo.log for r1_reward.main_ppo
    logged_steps = [int(m) for m in re.findall(r"\[verl\.console\]\[INFO\] - step:(\d+) - ", log)]
    assert logged_steps == [0, 1, 2, 3, 2, 3, 4, 5]  # both launches' per-step lines, their validations too
    assert "launch 2 of" in log and "from step 2" in log


def test_trim_to_step_moves_later_and_torn_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": n, "data": {}}) + "\n" for n in range(1, 6)) + '{"step": 6, "da')
    assert run_folder.trim_to_step(path, 3) == 3
    assert steps(path) == [1, 2, 3]
    superseded = (tmp_path / "metrics.superseded.jsonl").read_text().splitlines()
    assert (
        superseded[:2] == [json.dumps({"step": n, "data": {}}) for n in (4, 5)] and superseded[2] == '{"step": 6, "da'
    )
    assert run_folder.trim_to_step(tmp_path / "absent.jsonl", 3) == 0
