"""main_ppo makes every process, Ray workers on other nodes included, import r1_reward.register."""

import os
import sys
import textwrap

import pytest
from omegaconf import OmegaConf

from r1_reward.main_ppo import EXTERNAL_MODULES_ENV, export_plugins, with_plugins


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "r1_reward.register"),
        ("", "r1_reward.register"),
        ("my_pkg.plugins", "my_pkg.plugins,r1_reward.register"),
        ("r1_reward.register,my_pkg", "r1_reward.register,my_pkg"),
    ],
)
def test_with_plugins_keeps_user_modules(before, after):
    assert with_plugins(before) == after


def test_export_plugins_sets_local_and_ray_runtime_env(monkeypatch):
    monkeypatch.setenv(EXTERNAL_MODULES_ENV, "user.mod")
    config = OmegaConf.create({"ray_kwargs": {"ray_init": {"runtime_env": {"env_vars": {"A": "1"}}}}})
    OmegaConf.set_struct(config, True)
    export_plugins(config)
    assert os.environ[EXTERNAL_MODULES_ENV] == "user.mod,r1_reward.register"
    assert config.ray_kwargs.ray_init.runtime_env.env_vars == {"A": "1", EXTERNAL_MODULES_ENV: "r1_reward.register"}


# Runs in a fresh interpreter inside a loopback-only network namespace: Ray binds every interface.
RAY_WORKER_CHECK = textwrap.dedent(
    """
    import os, ray
    from omegaconf import OmegaConf
    from r1_reward.main_ppo import export_plugins

    config = OmegaConf.create({"ray_kwargs": {"ray_init": {"runtime_env": {"env_vars": {}}}}})
    export_plugins(config)
    os.environ.pop("VERL_USE_EXTERNAL_MODULES")  # prove the worker gets it from the runtime env alone
    runtime_env = OmegaConf.to_container(config.ray_kwargs.ray_init.runtime_env)
    ray.init(num_cpus=1, include_dashboard=False, runtime_env=runtime_env)

    @ray.remote
    def registries():
        import sys
        import verl.trainer.ppo.core_algos as core_algos
        return ("r1_reward.register" in sys.modules, "stable_reinforce" in core_algos.POLICY_LOSS_REGISTRY,
                "stable_reinforce" in core_algos.ADV_ESTIMATOR_REGISTRY, os.getpid())

    print("WORKER", *ray.get(registries.remote()), os.getpid())
    # Control: a worker whose runtime env clears the variable must not see the entries.
    control = registries.options(runtime_env={"env_vars": {"VERL_USE_EXTERNAL_MODULES": ""}})
    print("CONTROL", *ray.get(control.remote()))
    ray.shutdown()
    """
)


def test_ray_worker_sees_both_registry_entries(loopback_netns, tmp_path):
    script = tmp_path / "check.py"
    script.write_text(RAY_WORKER_CHECK)
    env = {key: value for key, value in os.environ.items() if key != EXTERNAL_MODULES_ENV}
    result = loopback_netns([sys.executable, str(script)], timeout=300, env=env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("WORKER")]
    assert lines, f"no worker answer; rc={result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    _, imported, loss, estimator, worker_pid, driver_pid = lines[0].split()
    assert (imported, loss, estimator) == ("True", "True", "True")
    assert worker_pid != driver_pid
    control = [line for line in result.stdout.splitlines() if line.startswith("CONTROL")]
    assert control and control[0].split()[1:4] == ["False", "False", "False"]


def test_run_rejects_a_bad_reward_setting_before_ray_starts(monkeypatch):
    from hydra_compose import compose_config

    import r1_reward.main_ppo as main_ppo

    sft = "actor_rollout_ref.model.path=/ckpt/sft"
    config = compose_config("+experiment=stable_reinforce", sft, "r1_reward.reward.on_judge_failure=x")
    monkeypatch.setattr(main_ppo, "validate", lambda _: pytest.fail("verl validation must not be reached"))
    with pytest.raises(ValueError, match="r1_reward.reward.on_judge_failure"):
        main_ppo.run(config)
