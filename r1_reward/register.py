"""Imports every r1_reward plug-in so that it registers with verl's registries.

Named in ``VERL_USE_EXTERNAL_MODULES`` (which ``import verl`` reads in every process, Ray workers included);
``r1_reward.main_ppo`` sets it locally and in the Ray runtime env.
"""

# First: with VERL_PLATFORM=cpu, verl's platform must be registered before any verl module reads it.
from r1_reward.cpu import plugin as cpu_plugin  # isort: skip
from r1_reward.algos import adv_filter, pre_clip  # isort: skip
from r1_reward import trainer  # isort: skip
from r1_reward.reward import manager as reward_manager  # isort: skip
from r1_reward.reward import tournament_manager  # isort: skip

MODULE = __name__

__all__ = ["MODULE", "adv_filter", "cpu_plugin", "pre_clip", "reward_manager", "tournament_manager", "trainer"]
