"""Every verl 0.9.1 symbol and behaviour the reward relies on; a verl upgrade that moves one fails here first."""

import inspect
from pathlib import Path

import verl
from hydra import compose, initialize_config_dir
from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls, register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
from verl.trainer.ppo.reward import get_custom_reward_fn, resolve_reward_manager_cls

import r1_reward.register  # noqa: F401  (registers R1RewardManager as "r1_reward")
from r1_reward.reward.manager import R1RewardManager

CONF = str(Path(__file__).resolve().parents[2] / "conf")


def test_verl_version_is_the_pinned_one() -> None:
    assert verl.__version__ == "0.9.1"


def test_manager_contract() -> None:
    assert issubclass(R1RewardManager, RewardManagerBase)
    assert callable(register) and get_reward_manager_cls("r1_reward") is R1RewardManager
    assert inspect.iscoroutinefunction(R1RewardManager.run_single)
    assert list(inspect.signature(RewardManagerBase.assemble_rm_scores).parameters) == ["data", "scores"]


def test_router_address_reaches_managers_as_a_keyword() -> None:
    """Our pool backend depends on verl passing reward_router_address (and reward_model_tokenizer) by keyword."""
    source = inspect.getsource(RewardLoopWorker._init_reward_fn)
    assert "reward_router_address=self.reward_router_address" in source
    assert "reward_model_tokenizer=self.reward_model_tokenizer" in source


def test_managed_reward_model_bypasses_manager_without_custom_function() -> None:
    """The quirk r1_reward/reward/verl_quirks.py works around; if verl fixes it, simplify conf/judge/pool.yaml."""
    source = inspect.getsource(RewardLoopWorker.compute_score)
    assert "custom_reward_function.path is not None" in source
    assert "compute_score_disrm" in source


def test_pool_config_custom_function_loads_through_verl() -> None:
    with initialize_config_dir(config_dir=CONF, version_base=None):
        config = compose("r1_reward", overrides=["+judge=pool"])
    assert resolve_reward_manager_cls(config) is R1RewardManager
    compute_score = get_custom_reward_fn(config)
    scores = compute_score(data_source="x", solution_str="<think>Response 1 is better</think><answer>1</answer>",
                           ground_truth="1", extra_info={})
    assert scores["score"] == 2.0  # 1*(1+.5)+.5 with the rule judge
