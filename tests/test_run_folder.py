"""Every run's outputs go under one run folder (issue #13: metrics landed inside the package, no checkpoint)."""

from pathlib import Path

import pytest
import yaml
from hydra_compose import compose_config

import r1_reward.main_ppo as main_ppo
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


def test_a_sweeps_metrics_root_is_kept(tmp_path):
    # r1_reward/cluster/sweep.py points every sweep run's file logger at <sweep dir>/metrics through this variable.
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
