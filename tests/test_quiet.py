"""Quiet start-up (issue #13: ~700 lines of config and ~70 engine warnings before the first step), and the way back."""

import os
import subprocess
import sys

import pytest
from hydra_compose import compose_config
from verl.trainer import main_ppo as verl_main_ppo

import r1_reward.main_ppo as main_ppo
from r1_reward.verl_glue import quiet


def test_warning_filters_keep_the_users_entries_and_are_not_repeated():
    value = quiet.warning_filters("error::DeprecationWarning")
    assert value.split(",")[0] == "error::DeprecationWarning"
    assert "ignore:megatron engine is not available:UserWarning" in value.split(",")
    assert quiet.warning_filters(value) == value


def engine_warnings(pythonwarnings: str | None) -> list[str]:
    """The 'engine is not available' lines a fresh interpreter prints when it imports verl's engines."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    if pythonwarnings is not None:
        env["PYTHONWARNINGS"] = pythonwarnings
    done = subprocess.run([sys.executable, "-c", "import verl.workers.engine"], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if "engine is not available" in line]


def test_the_filters_silence_exactly_the_engine_warnings_in_a_new_process():
    assert len(engine_warnings(None)) >= 2  # control: megatron, mindspeed, ... are not installed here
    assert engine_warnings(quiet.warning_filters(None)) == []


def test_the_quiet_runner_prints_one_line_instead_of_the_config(monkeypatch, capsys):
    def verl_run(self, config):  # stands in for TaskRunnerV1.run: it pprints the resolved config first
        verl_main_ppo.pprint({f"key{i}": i for i in range(700)})

    monkeypatch.setattr(verl_main_ppo, "pprint", verl_main_ppo.pprint)  # restored after the test
    monkeypatch.setattr(verl_main_ppo.TaskRunnerV1.__ray_actor_class__, "run", verl_run)
    quiet._QuietTaskRunner().run(None)
    assert capsys.readouterr().out.splitlines() == [
        "verl's resolved config: config.yaml in the run folder (r1_reward.verbose=true prints it here)"
    ]


@pytest.mark.parametrize(("verbose", "runner"), [(False, quiet.QuietTaskRunner), (True, verl_main_ppo.TaskRunnerV1)])
def test_run_is_quiet_unless_verbose(verbose, runner, monkeypatch, tmp_path):
    seen = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(main_ppo, "validate", lambda _: None)
    monkeypatch.setattr(main_ppo, "probe_judge", lambda _: None)
    monkeypatch.setattr(main_ppo.preflight, "check", lambda _: None)
    monkeypatch.setattr(main_ppo, "check_cluster", lambda _: None)  # nor the GPU count (this machine has none)
    monkeypatch.setattr("verl.trainer.main_ppo.run_ppo", lambda config, task_runner_class: seen.update(
        runner=task_runner_class, env=dict(config.ray_kwargs.ray_init.runtime_env.env_vars)))  # fmt: skip
    policy = "actor_rollout_ref.model.path=/ckpt/sft"
    main_ppo.run(compose_config("+experiment=stable_reinforce", policy, f"r1_reward.verbose={verbose}"))
    assert seen["runner"] is runner
    assert ("PYTHONWARNINGS" in seen["env"]) is not verbose
