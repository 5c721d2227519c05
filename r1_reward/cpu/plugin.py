"""Imported by ``r1_reward.register`` in every process: the CPU glue, active only where selected.

- ``no_torchvision.enable()`` acts only where torchvision is missing (CPU-only torch); a no-op on GPU machines.
- ``platform.activate()`` acts only with ``VERL_PLATFORM=cpu`` (set by ``+profile=cpu_tiny``); a no-op otherwise.
"""

from r1_reward.cpu import no_torchvision, platform

TORCHVISION_FIX = no_torchvision.enable()
CPU_PLATFORM = platform.activate()
