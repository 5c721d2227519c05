"""Imports every r1_reward plug-in so that it registers with verl's registries, and installs our verl fixes.

Named in ``VERL_USE_EXTERNAL_MODULES`` (which ``import verl`` reads in every process, Ray workers included);
``r1_reward.main_ppo`` sets it locally and in the Ray runtime env. The CPU glue is not imported here: the CPU profile
(``conf/profile/cpu_tiny.yaml``) names ``r1_reward.cpu.plugin`` in the same variable, ahead of this module.
"""

from r1_reward.algos import adv_filter, pre_clip
from r1_reward.reward import manager as reward_manager
from r1_reward.tournament import manager as tournament_manager
from r1_reward.verl_glue import position_ids, run_logs, trainer

MODULE = __name__
# verl issue #7899: 3D position ids of equal-length rows (r1_reward/verl_glue/position_ids.py), in this process.
POSITION_IDS_FIX = position_ids.install()
# verl's file logger appends (a resumed run keeps its metrics) and console lines reach the run's log file.
run_logs.install()

__all__ = ["MODULE", "POSITION_IDS_FIX", "adv_filter", "pre_clip", "reward_manager", "tournament_manager", "trainer"]
