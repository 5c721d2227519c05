"""The CPU glue, loaded only for the CPU profile: ``+profile=cpu_tiny`` names this module in
``VERL_USE_EXTERNAL_MODULES`` ahead of ``r1_reward.register`` (its Hydra callback in the driver, its Ray runtime env in
every worker), so ``import verl`` loads it first in every process of a CPU run and never on a GPU run.

- ``qwen_vl.enable()`` acts only where torchvision is missing (CPU-only torch); a no-op on GPU machines.
- ``platform.activate()`` acts only with ``VERL_PLATFORM=cpu`` (set by the same profile); a no-op otherwise.
"""

from r1_reward import qwen_vl
from r1_reward.cpu import platform

TORCHVISION_FIX = qwen_vl.enable()
CPU_PLATFORM = platform.activate()
