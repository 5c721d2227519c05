"""Imported by ``r1_reward.register`` in every process: the CPU glue, active only where selected.

- ``qwen_vl.enable()`` acts only where torchvision is missing (CPU-only torch); a no-op on GPU machines.
- ``platform.activate()`` acts only with ``VERL_PLATFORM=cpu`` (set by ``+profile=cpu_tiny``); a no-op otherwise.
"""

from r1_reward import qwen_vl
from r1_reward.cpu import platform

TORCHVISION_FIX = qwen_vl.enable()
CPU_PLATFORM = platform.activate()
