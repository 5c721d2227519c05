"""launch/ray_job.sh run under a fake `ray` that logs the `ray job submit` command it would run."""

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "launch" / "ray_job.sh"


def submit(env: dict[str, str], *args: str) -> list[str]:
    """Run the script and return the argv the fake ``ray`` received."""
    result = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = Path(env["FAKE_LOG"]).read_text().splitlines()
    assert len(lines) == 1
    return lines[0].split("\t")


def runtime_env(argv: list[str]) -> dict:
    return json.loads(argv[argv.index("--runtime-env-json") + 1])


def test_submits_main_ppo_with_plugins_in_the_runtime_env_and_overrides_unchanged(fake_env):
    fake_env["RAY_ADDRESS"] = "http://head:8265"
    overrides = ["+experiment=stable_reinforce", "trainer.logger=[console,file]", "trainer.experiment_name=a b'c"]
    argv = submit(fake_env, *overrides)
    assert argv[:5] == ["ray", "job", "submit", "--address", "http://head:8265"]
    assert argv[argv.index("--") :] == ["--", "python", "-m", "r1_reward.main_ppo", *overrides]
    env = runtime_env(argv)
    assert env["working_dir"] == str(REPO)
    assert env["env_vars"] == {"VERL_USE_EXTERNAL_MODULES": "r1_reward.register"}
    assert "--no-wait" not in argv and "--submission-id" not in argv


def test_keeps_callers_plugin_modules_and_forwards_only_set_variables(fake_env):
    fake_env.update(VERL_USE_EXTERNAL_MODULES="my_lab.plugins", HF_HOME='/hf "cache"', NO_WAIT="1")
    argv = submit(fake_env)
    assert runtime_env(argv)["env_vars"] == {
        "VERL_USE_EXTERNAL_MODULES": "my_lab.plugins,r1_reward.register",
        "HF_HOME": '/hf "cache"',
    }
    assert "--no-wait" in argv


def test_registration_module_is_not_added_twice(fake_env):
    fake_env["VERL_USE_EXTERNAL_MODULES"] = "r1_reward.register,my_lab.plugins"
    env_vars = runtime_env(submit(fake_env))["env_vars"]
    assert env_vars["VERL_USE_EXTERNAL_MODULES"] == "r1_reward.register,my_lab.plugins"


def test_working_dir_with_a_quote_stays_valid_json(fake_env, tmp_path):
    checkout = tmp_path / 'my "repo"'
    (checkout / "r1_reward").mkdir(parents=True)
    (checkout / "r1_reward" / "main_ppo.py").touch()
    fake_env.update(WORKING_DIR=str(checkout), SUBMISSION_ID="sweep-7")
    argv = submit(fake_env)
    assert runtime_env(argv)["working_dir"] == str(checkout)
    assert argv[argv.index("--submission-id") + 1] == "sweep-7"


def test_a_working_dir_that_is_not_the_repository_is_refused(fake_env, tmp_path):
    fake_env["WORKING_DIR"] = str(tmp_path)
    result = subprocess.run(["bash", str(SCRIPT)], env=fake_env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "is not the r1_reward repository root: set WORKING_DIR" in result.stderr
