"""The CPU glue inside verl 0.9.1 (the verl code it works around is pinned in tests/test_verl_api.py).

Platform selection is process-wide (verl caches its platform), so each case runs in a fresh interpreter.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(script: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "VERL_PLATFORM"} | {"PYTHONPATH": str(REPO)} | env
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_selected_cpu_platform_runs_verl_process_group_engine_and_hf_rollout_lookups():
    out = _run(
        """
        import os
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29517", RANK="0", WORLD_SIZE="1")
        import verl  # loads the modules the CPU profile names in a Ray worker's VERL_USE_EXTERNAL_MODULES
        import torch.distributed as dist
        from verl.utils.device import get_device_name, get_torch_device
        from verl.workers import engine_workers
        from verl.workers.engine import EngineRegistry
        from verl.workers.rollout.base import get_rollout_class
        from verl.workers.rollout.replica import get_rollout_replica_class

        engine_workers.initialize_global_process_group_ray()  # the call verl's trainer workers make
        get_torch_device().empty_cache()
        print(get_device_name(), dist.get_backend(), EngineRegistry.get_engine_cls("language_model", "fsdp2").__name__,
              get_rollout_replica_class("hf").__name__, get_rollout_class("hf").__name__,
              get_rollout_class("vllm").__module__)
        """,
        VERL_PLATFORM="cpu",
        VERL_USE_EXTERNAL_MODULES="r1_reward.cpu.plugin,r1_reward.register",
    )
    # rollout "vllm": verl's server adapter with a deadline on its weight sync (r1_reward/cpu/weight_sync.py).
    assert out == "cpu cpu:gloo FSDPEngineWithLMHead HFReplica HFServerAdapter r1_reward.cpu.weight_sync"


def test_without_selection_importing_the_plugins_changes_nothing_in_verl():
    out = _run(
        """
        import sys
        import r1_reward.register
        from verl.plugin.platform import PlatformRegistry
        from verl.utils import distributed
        from verl.workers.rollout.base import _ROLLOUT_REGISTRY
        print(PlatformRegistry.get("cpu"), "r1_reward" in str(_ROLLOUT_REGISTRY),
              hasattr(distributed.initialize_global_process_group_ray, "wrapped"),
              any(name.startswith("r1_reward.cpu") for name in sys.modules))
        """,
        VERL_USE_EXTERNAL_MODULES="r1_reward.register",
    )
    # A GPU run (main_ppo without the CPU profile) does not even import cpu/.
    assert out == "None False False False"


def test_the_profile_loads_the_plugin_first_in_the_driver_and_the_workers():
    from hydra_compose import compose_config

    from r1_reward.cpu.platform import with_cpu_plugin

    assert with_cpu_plugin(None) == "r1_reward.cpu.plugin"
    assert with_cpu_plugin("r1_reward.register,r1_reward.cpu.plugin") == "r1_reward.cpu.plugin,r1_reward.register"
    config = compose_config("+experiment=stable_reinforce", "+profile=cpu_tiny")
    env_vars = config.ray_kwargs.ray_init.runtime_env.env_vars
    assert env_vars.VERL_USE_EXTERNAL_MODULES == "r1_reward.cpu.plugin"
