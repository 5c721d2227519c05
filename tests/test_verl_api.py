"""Every verl symbol and behaviour r1_reward relies on, checked in one place (verl is pinned to 0.9.1).

When a verl upgrade breaks one of these, the fix belongs in the module named in the assertion message.
"""

import importlib
import inspect
from pathlib import Path

import pytest
import verl

SYMBOLS = [
    ("verl", "DataProto"),
    ("verl.trainer.ppo.core_algos", "register_policy_loss"),
    ("verl.trainer.ppo.core_algos", "get_policy_loss_fn"),
    ("verl.trainer.ppo.core_algos", "register_adv_est"),
    ("verl.trainer.ppo.core_algos", "get_adv_estimator_fn"),
    ("verl.trainer.ppo.core_algos", "agg_loss"),
    ("verl.trainer.ppo.core_algos", "compute_reinforce_plus_plus_outcome_advantage"),
    ("verl.trainer.ppo.core_algos", "compute_grpo_vectorized_outcome_advantage"),
    ("verl.trainer.ppo.ray_trainer", "compute_advantage"),
    ("verl.trainer.ppo.v1.trainer_base", "register_trainer"),
    ("verl.trainer.ppo.v1.trainer_base", "TRAINER_REGISTRY"),
    ("verl.trainer.ppo.v1.trainer_sync", "PPOTrainerSync"),
    ("verl.trainer.ppo.utils", "need_critic"),
    ("verl.trainer.ppo.utils", "need_reference_policy"),
    ("verl.trainer.main_ppo", "run_ppo"),
    ("verl.trainer.main_ppo", "TaskRunnerV1"),
    ("verl.trainer.main_ppo_v0", "TaskRunner"),
    ("verl.trainer.config", "AlgoConfig"),
    ("verl.workers.config", "ActorConfig"),
    ("verl.workers.config", "PolicyLossConfig"),
    ("verl.workers.utils.losses", "ppo_loss"),
    ("verl.utils.config", "validate_config"),
    ("verl.utils.config", "omega_conf_to_dataclass"),
    ("verl.utils.device", "auto_set_device"),
    ("verl.utils.torch_functional", "masked_mean"),
    ("verl.utils.tensordict_utils", "get_tensordict"),
    # The GRPO tournament reward (r1_reward/reward/tournament_manager.py, group_dispatch.py, trainer.py):
    ("verl.experimental.reward_loop.reward_manager", "register"),
    ("verl.experimental.reward_loop.reward_manager.base", "RewardManagerBase"),
    ("verl.experimental.reward_loop.reward_loop", "RewardLoopWorker"),
    ("verl.experimental.reward_loop.reward_loop", "RewardLoopManager"),
    ("verl.trainer.ppo.v1.trainer_base", "PPOTrainer"),
    ("verl.utils.reward_score", "default_compute_score"),
]


def test_pinned_version():
    assert verl.__version__ == "0.9.1", "r1_reward pins verl==0.9.1; re-check everything in this file before moving"


@pytest.mark.parametrize(("module", "name"), SYMBOLS)
def test_symbol_exists(module, name):
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone"


def test_policy_loss_call_matches_our_signature():
    from verl.trainer.ppo.core_algos import compute_policy_loss_vanilla
    from verl.workers.utils import losses

    from r1_reward.algos.pre_clip import compute_policy_loss_stable_reinforce

    ours = inspect.signature(compute_policy_loss_stable_reinforce).parameters
    assert list(ours) == list(inspect.signature(compute_policy_loss_vanilla).parameters), "r1_reward/algos/pre_clip.py"
    source = inspect.getsource(losses.ppo_loss)
    for keyword in ("old_log_prob=", "log_prob=", "advantages=", "response_mask=", "config=", "rollout_is_weights="):
        assert keyword in source, f"ppo_loss no longer passes {keyword}: r1_reward/algos/pre_clip.py"


def test_compute_advantage_passes_config_and_uid():
    from verl.trainer.ppo import ray_trainer

    source = inspect.getsource(ray_trainer.compute_advantage)
    assert '"config": config' in source and 'adv_kwargs["index"]' in source, "r1_reward/algos/adv_filter.py"


def test_trainer_mode_is_a_plain_attribute_compared_with_sync():
    # r1_reward/trainer.py reports "sync" through a property; verl must still assign and compare the name.
    from verl.trainer.ppo.v1 import trainer_base

    source = inspect.getsource(trainer_base.PPOTrainer)
    assert "self.trainer_mode = self.config.trainer.v1.trainer_mode" in source
    assert 'self.trainer_mode == "sync"' in source or 'self.trainer_mode != "sync"' in source


def test_config_targets_we_swap_exist_in_verls_yaml():
    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    assert "_target_: verl.trainer.config.AlgoConfig" in (config_dir / "ppo_trainer.yaml").read_text()
    assert "_target_: verl.workers.config.PolicyLossConfig" in (config_dir / "actor" / "actor.yaml").read_text()


def test_tournament_hooks_group_scoring_relies_on():
    """r1_reward/reward/group_dispatch.py + r1_reward/trainer.py: whole GRPO groups are scored in verl's colocated
    reward step, by the reward workers' own ``compute_score``, once the manager reports no streaming handles."""
    from verl.experimental.reward_loop import reward_loop
    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
    from verl.trainer.ppo.v1 import trainer_base

    trainer = trainer_base.PPOTrainer
    for method in ("_step_once", "_validate"):
        source = inspect.getsource(getattr(trainer, method))
        assert "if self.reward_loop_manager.reward_loop_worker_handles is None:" in source, method
        assert "self._compute_reward_colocate(batch" in source, method
    assert "return self.reward_loop_manager.reward_loop_worker_handles" in inspect.getsource(trainer.get_reward_handles)
    colocate = inspect.getsource(trainer._compute_reward_colocate)
    assert "self.reward_loop_manager.compute_rm_score(rm_input)" in colocate
    assert 'keys=batch.keys, partition_id=batch.partition_id' in colocate  # rows in batch.keys order
    assert list(inspect.signature(trainer._compute_reward_colocate).parameters) == ["self", "batch", "metrics"]
    assert "self.on_init_end()" in inspect.getsource(trainer.init)
    manager_init = inspect.getsource(reward_loop.RewardLoopManager.__init__)
    assert "self.reward_model_manager =" in manager_init and "self._init_reward_loop_workers()" in manager_init
    assert "return await self.reward_manager.run_single(data)" in inspect.getsource(
        reward_loop.RewardLoopWorker.compute_score)
    assert "assemble_rm_scores" in vars(RewardManagerBase)
    assert hasattr(verl.DataProto, "select_idxs")
