"""launch/ray_job.sh run under a fake `ray` that logs the `ray job submit` command it would run and keeps a copy of
the runtime-env file it was given."""

import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "launch" / "ray_job.sh"


def submit(env: dict[str, str], *args: str) -> list[str]:
    """Run the script and return the argv the fake ``ray`` received."""
    result = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = Path(env["FAKE_LOG"]).read_text().splitlines()
    assert len(lines) == 1
    return lines[0].split("\t")


def runtime_env(argv: list[str], env: dict[str, str]) -> dict:
    """The runtime env ``ray job submit`` got: the copy of its ``--runtime-env`` file, read as Ray reads it (YAML)."""
    assert "--runtime-env-json" not in argv
    path = Path(argv[argv.index("--runtime-env") + 1])
    assert not path.exists()  # removed when the script exits
    return yaml.safe_load(Path(env["FAKE_LOG"] + ".runtime_env").read_text())


def test_submits_main_ppo_with_plugins_in_the_runtime_env_and_overrides_unchanged(fake_env):
    fake_env["RAY_ADDRESS"] = "http://head:8265"
    overrides = ["+experiment=stable_reinforce", "trainer.logger=[console,file]", "trainer.experiment_name=a b'c"]
    argv = submit(fake_env, *overrides)
    assert argv[:5] == ["ray", "job", "submit", "--address", "http://head:8265"]
    assert argv[argv.index("--") :] == ["--", "python", "-m", "r1_reward.main_ppo", *overrides]
    env = runtime_env(argv, fake_env)
    assert env["working_dir"] == str(REPO)
    assert env["env_vars"] == {"VERL_USE_EXTERNAL_MODULES": "r1_reward.register", "RAY_OVERRIDE_JOB_RUNTIME_ENV": "1"}
    assert "--no-wait" not in argv and "--submission-id" not in argv


def test_keeps_callers_plugin_modules_and_forwards_only_set_variables(fake_env):
    fake_env.update(VERL_USE_EXTERNAL_MODULES="my_lab.plugins", HF_HOME='/hf "cache"', NO_WAIT="1")
    argv = submit(fake_env)
    assert runtime_env(argv, fake_env)["env_vars"] == {
        "VERL_USE_EXTERNAL_MODULES": "my_lab.plugins,r1_reward.register",
        "RAY_OVERRIDE_JOB_RUNTIME_ENV": "1",
        "HF_HOME": '/hf "cache"',
    }
    assert "--no-wait" in argv


def test_registration_module_is_not_added_twice(fake_env):
    fake_env["VERL_USE_EXTERNAL_MODULES"] = "r1_reward.register,my_lab.plugins"
    env_vars = runtime_env(submit(fake_env), fake_env)["env_vars"]
    assert env_vars["VERL_USE_EXTERNAL_MODULES"] == "r1_reward.register,my_lab.plugins"


def test_working_dir_with_a_quote_stays_valid_json(fake_env, tmp_path):
    checkout = tmp_path / 'my "repo"'
    (checkout / "r1_reward").mkdir(parents=True)
    (checkout / "r1_reward" / "main_ppo.py").touch()
    fake_env.update(WORKING_DIR=str(checkout), SUBMISSION_ID="sweep-7")
    argv = submit(fake_env)
    assert runtime_env(argv, fake_env)["working_dir"] == str(checkout)
    assert argv[argv.index("--submission-id") + 1] == "sweep-7"


def test_a_working_dir_that_is_not_the_repository_is_refused(fake_env, tmp_path):
    fake_env["WORKING_DIR"] = str(tmp_path)
    result = subprocess.run(["bash", str(SCRIPT)], env=fake_env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "is not the r1_reward repository root: set WORKING_DIR" in result.stderr


def test_judge_settings_and_key_are_forwarded_in_a_private_file_never_on_the_command_line(fake_env):
    key = "sk-r1-secret-4242"
    fake_env.update(
        R1_JUDGE_API_KEY=key,
        R1_JUDGE_BASE_URL="http://judge:8000/v1",
        R1_JUDGE_MODEL="judge",
        FORWARD_ENV="HF_HOME R1_JUDGE_API_KEY",
        HF_HOME="/hf",
    )
    argv = submit(fake_env, "judge=endpoint")
    assert not any(key in arg for arg in argv)
    assert runtime_env(argv, fake_env)["env_vars"] == {
        "VERL_USE_EXTERNAL_MODULES": "r1_reward.register",
        "RAY_OVERRIDE_JOB_RUNTIME_ENV": "1",
        "HF_HOME": "/hf",
        "R1_JUDGE_API_KEY": key,
        "R1_JUDGE_BASE_URL": "http://judge:8000/v1",
        "R1_JUDGE_MODEL": "judge",
    }
    assert Path(fake_env["FAKE_LOG"] + ".runtime_env.mode").read_text().strip() == "600"
