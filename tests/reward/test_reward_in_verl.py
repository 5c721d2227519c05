"""The R1 reward inside verl's reward loop: registry lookup, manager contract, the pool config's custom function.

The verl symbols and source lines these rely on are pinned in tests/test_verl_api.py.
"""

import inspect

from hydra_compose import compose_config
from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls, register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
from verl.trainer.ppo.reward import get_custom_reward_fn, resolve_reward_manager_cls

import r1_reward.register  # noqa: F401  (registers R1RewardManager as "r1_reward")
from r1_reward.reward.manager import R1RewardManager


def test_manager_contract() -> None:
    assert issubclass(R1RewardManager, RewardManagerBase)
    assert callable(register) and get_reward_manager_cls("r1_reward") is R1RewardManager
    assert inspect.iscoroutinefunction(R1RewardManager.run_single)


def test_pool_config_custom_function_loads_through_verl() -> None:
    config = compose_config("judge=pool")
    assert resolve_reward_manager_cls(config) is R1RewardManager
    compute_score = get_custom_reward_fn(config)
    scores = compute_score(
        data_source="x",
        solution_str="<think>Response 1 is better</think><answer>1</answer>",
        ground_truth="1",
        extra_info={},
    )
    assert scores["score"] == 2.0  # 1*(1+.5)+.5 with the rule judge
