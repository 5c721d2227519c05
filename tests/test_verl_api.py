"""Every verl symbol and behaviour r1_reward relies on, checked in one place (verl is pinned to 0.9.1).

The pins only: imports, signatures and the lines of verl source our glue depends on. What our plug-ins do inside verl
is tested beside them (tests/reward/, tests/cpu/, tests/test_trainer.py). When a verl upgrade breaks one of these,
the fix belongs in the module named in the assertion message.
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
    # r1_reward/verl_glue/trainer.py
    ("verl.trainer.ppo.v1.trainer_base", "PPOTrainer"),
    ("transfer_queue", "kv_batch_get"),
    # r1_reward/reward/
    ("verl.experimental.reward_loop.reward_manager", "register"),
    ("verl.experimental.reward_loop.reward_manager", "get_reward_manager_cls"),
    ("verl.experimental.reward_loop.reward_manager.base", "RewardManagerBase"),
    ("verl.experimental.reward_loop.reward_loop", "RewardLoopWorker"),
    ("verl.trainer.ppo.reward", "get_custom_reward_fn"),
    ("verl.trainer.ppo.reward", "resolve_reward_manager_cls"),
    # r1_reward/cpu/ (platform, engines, hf rollout, SFT entry)
    ("verl.plugin.platform", "PlatformBase"),
    ("verl.plugin.platform", "PlatformRegistry"),
    ("verl.plugin.platform", "get_platform"),
    ("verl.plugin.platform", "set_platform"),
    ("verl.utils.device", "get_device_name"),
    ("verl.utils.device", "get_nccl_backend"),
    ("verl.utils.distributed", "initialize_global_process_group_ray"),
    ("verl.utils.distributed", "destroy_global_process_group"),
    ("verl.workers.engine_workers", "initialize_global_process_group_ray"),
    ("verl.checkpoint_engine.base", "initialize_global_process_group_ray"),
    ("verl.workers.engine", "EngineRegistry"),
    ("verl.workers.engine.fsdp.transformer_impl", "FSDPEngineWithLMHead"),
    ("verl.workers.engine.fsdp.transformer_impl", "FSDPEngineWithValueHead"),
    ("verl.workers.rollout.base", "BaseRollout"),
    ("verl.workers.rollout.base", "_ROLLOUT_REGISTRY"),
    ("verl.workers.rollout.replica", "RolloutReplicaRegistry"),
    ("verl.workers.rollout.replica", "RolloutReplica"),
    ("verl.workers.rollout.replica", "TokenOutput"),
    ("verl.trainer.sft_trainer", "SFTTrainer"),
    ("verl.trainer.sft_trainer", "run_sft"),
    # the GRPO tournament reward (r1_reward/tournament/manager.py, group_dispatch.py, trainer.py)
    ("verl.experimental.reward_loop.reward_loop", "RewardLoopManager"),
    ("verl.utils.reward_score", "default_compute_score"),
]

# Where a failed pin sends the reader.
TRAINER = "r1_reward/verl_glue/trainer.py"
QUIET = "r1_reward/verl_glue/quiet.py"


def test_pinned_version():
    # The one version assertion of the suite: every other pin below holds for this version.
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


def test_trainer_mode_is_read_from_the_config_and_compared_with_sync():
    # r1_reward/verl_glue/trainer.py sets trainer.v1.trainer_mode to "sync" before PPOTrainer.__init__ reads it from the
    # config.
    from verl.trainer.ppo.v1 import trainer_base

    init = inspect.getsource(trainer_base.PPOTrainer.__init__)
    assert "self.trainer_mode = self.config.trainer.v1.trainer_mode" in init, TRAINER
    source = inspect.getsource(trainer_base.PPOTrainer)
    assert 'self.trainer_mode == "sync"' in source and 'self.trainer_mode != "sync"' in source, TRAINER


def test_config_targets_we_swap_exist_in_verls_yaml():
    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    assert "_target_: verl.trainer.config.AlgoConfig" in (config_dir / "ppo_trainer.yaml").read_text()
    assert "_target_: verl.workers.config.PolicyLossConfig" in (config_dir / "actor" / "actor.yaml").read_text()


def test_trainer_hooks_we_override_keep_their_signatures_and_call_sites():
    # r1_reward/verl_glue/trainer.py overrides these two private methods of verl's V1 trainer.
    from verl.trainer.ppo.v1.trainer_base import PPOTrainer

    assert list(inspect.signature(PPOTrainer._compute_advantage).parameters) == ["self", "batch", "metrics"]
    assert list(inspect.signature(PPOTrainer._compute_metrics).parameters) == [
        "self", "batch", "metrics", "timing_raw", "global_steps", "epoch",
    ]  # fmt: skip
    source = inspect.getsource(PPOTrainer)
    assert "batch = self._compute_advantage(batch, metrics=metrics)" in source, TRAINER
    assert "self._compute_metrics(batch, metrics, self.timing_raw, global_steps=" in source, TRAINER


def test_step_batch_keeps_reward_extra_info_in_transfer_queue():
    # r1_reward/verl_glue/trainer.py reads each sample's reward sub-scores from the step's TransferQueue batch.
    import transfer_queue as tq
    from verl.trainer.ppo.v1 import agent_loop_tq, trainer_base

    assert {"keys", "partition_id", "select_fields"} <= set(inspect.signature(tq.kv_batch_get).parameters)
    assert 'output.extra_fields["reward_extra_info"]' in inspect.getsource(agent_loop_tq), TRAINER
    assert '"extra_fields"' in inspect.getsource(trainer_base.PPOTrainer), TRAINER


def test_reward_manager_hooks():
    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

    assert list(inspect.signature(RewardManagerBase.assemble_rm_scores).parameters) == ["data", "scores"]


def test_router_address_reaches_managers_as_a_keyword():
    """Our pool backend depends on verl passing reward_router_address (and reward_model_tokenizer) by keyword."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    source = inspect.getsource(RewardLoopWorker._init_reward_fn)
    assert "reward_router_address=self.reward_router_address" in source, "r1_reward/reward/manager.py"
    assert "reward_model_tokenizer=self.reward_model_tokenizer" in source, "r1_reward/reward/manager.py"


def test_managed_reward_model_bypasses_manager_without_custom_function():
    """The quirk r1_reward/verl_glue/reward_quirks.py works around; if verl fixes it, simplify conf/judge/pool.yaml."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    source = inspect.getsource(RewardLoopWorker.compute_score)
    assert "custom_reward_function.path is not None" in source, "r1_reward/verl_glue/reward_quirks.py"
    assert "compute_score_disrm" in source, "r1_reward/verl_glue/reward_quirks.py"


def test_verl_still_builds_the_duplicate_backend_string_we_patch():
    # verl/utils/distributed.py line 89: on CPU this yields "cpu:gloo,cpu:gloo", which torch rejects.
    from verl.utils import distributed

    source = inspect.getsource(distributed.initialize_global_process_group_ray)
    expected = 'backend = backend or f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"'
    assert expected in source, "r1_reward/cpu/platform.py"


def test_verl_keeps_server_adapters_in_the_table_we_extend():
    from verl.workers.rollout import base

    assert base._ROLLOUT_REGISTRY[("vllm", "async")] == "verl.workers.rollout.vllm_rollout.ServerAdapter"
    assert "_ROLLOUT_REGISTRY" in inspect.getsource(base.get_rollout_class), "r1_reward/cpu/platform.py"


def test_verl_run_sft_is_what_the_cpu_entry_mirrors():
    """r1_reward/cpu/sft_cpu.py re-does run_sft with a gloo group; fail loudly if verl's version changes."""
    from verl.trainer import sft_trainer
    from verl.utils import distributed

    run_sft = inspect.getsource(sft_trainer.run_sft)
    for step in (
        "initialize_global_process_group()",
        "SFTTrainer(config=config)",
        ".fit()",
        "destroy_global_process_group()",
    ):
        assert step in run_sft, f"verl's run_sft changed ({step} missing): revisit r1_reward/cpu/sft_cpu.py"
    backend_line = 'backend = f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"'
    assert backend_line in inspect.getsource(distributed.initialize_global_process_group), "r1_reward/cpu/sft_cpu.py"


def test_the_config_dump_and_engine_warnings_we_quiet():
    # r1_reward/verl_glue/quiet.py replaces this one print in its runner's process and filters these warnings by
    # message.
    from verl.trainer import main_ppo
    from verl.workers import engine

    from r1_reward.verl_glue.quiet import HARMLESS_WARNINGS

    run = inspect.getsource(main_ppo.TaskRunnerV1.__ray_actor_class__.run)
    assert "pprint(OmegaConf.to_container(config, resolve=True))" in run, QUIET
    assert callable(main_ppo.pprint), QUIET
    source = inspect.getsource(engine)
    for message in HARMLESS_WARNINGS:
        assert f'warnings.warn(f"{message}: {{e!r}}"' in source, f"{QUIET}: {message}"


def test_tournament_hooks_group_scoring_relies_on():
    """r1_reward/verl_glue/group_dispatch.py + r1_reward/verl_glue/trainer.py: whole GRPO groups are scored in verl's
    colocated reward step, by the reward workers' own ``compute_score``, once the manager reports no streaming
    handles."""
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
    assert "keys=batch.keys, partition_id=batch.partition_id" in colocate  # rows in batch.keys order
    assert list(inspect.signature(trainer._compute_reward_colocate).parameters) == ["self", "batch", "metrics"]
    assert "self.on_init_end()" in inspect.getsource(trainer.init)
    manager_init = inspect.getsource(reward_loop.RewardLoopManager.__init__)
    assert "self.reward_model_manager =" in manager_init and "self._init_reward_loop_workers()" in manager_init
    assert "return await self.reward_manager.run_single(data)" in inspect.getsource(
        reward_loop.RewardLoopWorker.compute_score
    )
    assert "assemble_rm_scores" in vars(RewardManagerBase)
    assert hasattr(verl.DataProto, "select_idxs")


def test_the_position_id_functions_our_fix_replaces():
    """r1_reward/verl_glue/position_ids.py replaces verl's blind ``_ragged_idx = 2`` (verl issue #7899) wherever it
    is bound, and relies on TransferQueue packing rows with ``as_nested_tensor`` (the layout it repairs)."""
    from transfer_queue.storage.managers.simple_storage_manager import AsyncSimpleStorageManager
    from transfer_queue.utils import serial_utils
    from verl.utils import tensordict_utils

    from r1_reward.verl_glue import position_ids

    for name in position_ids.VERL_MODULES:
        module = importlib.import_module(name)
        assert callable(getattr(module, position_ids.VERL_FUNCTION)), f"{name}: r1_reward/verl_glue/position_ids.py"
    verl_fix = inspect.getsource(tensordict_utils).split(f"def {position_ids.VERL_FUNCTION}")[1].split("\ndef ")[0]
    assert '["position_ids"]._ragged_idx = 2' in verl_fix, "verl changed its fix: is #7899 fixed upstream?"
    packing = "torch.nested.as_nested_tensor(values, layout=torch.jagged)"
    where = "r1_reward/verl_glue/position_ids.py"
    assert packing in inspect.getsource(AsyncSimpleStorageManager._pack_field_values), where
    assert "as_nested_tensor(sub_tensors, layout=torch.jagged)" in inspect.getsource(serial_utils)


def test_the_step_batch_keys_failed_rollouts_are_counted_from():
    """r1_reward/verl_glue/rollout_failures.py: verl's agent loop keys every trajectory {uid}_{session_id}_{index}
    and the sync replay buffer builds the step's batch from the trajectories that exist (failed ones left out)."""
    from verl.trainer.ppo.v1 import agent_loop_tq, replay_buffer

    where = "r1_reward/verl_glue/rollout_failures.py"
    assert 'keys.append(f"{uid}_{session_id}_{i}")' in inspect.getsource(agent_loop_tq), where
    materialize = inspect.getsource(replay_buffer.ReplayBuffer._materialize_batch)
    assert 'uid = key.split("_")[0]' in materialize and "for key, tag in partition_snapshot.items()" in materialize


def test_the_pool_creation_our_placement_repeats_with_a_node_resource():
    """r1_reward/verl_glue/placement.py re-does verl's ResourcePoolManager.create_resource_pool with one more
    argument (RayResourcePool's accelerator_type, which pins every bundle to a node resource), in the hook our trainer
    overrides, before verl creates the pools."""
    from verl.single_controller.ray.base import RayResourcePool, ResourcePoolManager
    from verl.trainer.ppo.v1.trainer_base import PPOTrainer

    from r1_reward.verl_glue.trainer import R1RewardTrainer

    where = "r1_reward/verl_glue/placement.py"
    create = inspect.getsource(ResourcePoolManager.create_resource_pool)
    for line in ("process_on_nodes=process_on_nodes,", "use_gpu=True,", "max_colocate_count=self.max_colocate_count,",
                 "name_prefix=resource_pool_name,", "self._check_resource_available()"):  # fmt: skip
        assert line in create, f"{where}: verl's create_resource_pool changed ({line})"
    assert "accelerator_type" in inspect.signature(RayResourcePool.__init__).parameters, where
    setup = inspect.getsource(PPOTrainer._setup)
    created = setup.index("self.resource_pool_manager.create_resource_pool()")
    assert setup.index("self._init_resource_pool_mgr()") < created, where
    assert "_init_resource_pool_mgr" in vars(R1RewardTrainer), where


def test_the_loggers_our_run_logs_replace():
    """r1_reward/verl_glue/run_logs.py replaces verl 0.9.1's FileLogger, which truncates ("wb"), and its console
    logger, by the names Tracking looks up; keeps verl's path rule and line format; reads the resume step as verl's
    trainer does. When verl's file logger stops truncating, drop the module."""
    from verl.trainer.ppo.v1 import trainer_base
    from verl.utils import tracking
    from verl.utils.checkpoint.checkpoint_manager import find_latest_ckpt_path
    from verl.utils.logger import aggregate_logger

    from r1_reward.verl_glue.run_logs import VERL_FILE_LOGGER

    where = "r1_reward/verl_glue/run_logs.py"
    file_logger = inspect.getsource(VERL_FILE_LOGGER)  # verl's, whether or not r1_reward.register replaced it yet
    assert 'open(self.filepath, "wb", buffering=0)' in file_logger, f"{where}: does verl append now? drop the shim"
    for line in ('os.getenv("VERL_FILE_LOGGER_PATH", None)', 'os.getenv("VERL_FILE_LOGGER_ROOT", ".")',
                 'os.path.join(root_path, self.project_name)', 'f"{self.experiment_name}.jsonl"',
                 'data = {"step": step, "data": data}', "orjson.OPT_SERIALIZE_NUMPY"):  # fmt: skip
        assert line in file_logger, f"{where}: verl's FileLogger changed ({line})"
    init = inspect.getsource(tracking.Tracking.__init__)
    assert 'self.logger["file"] = FileLogger(project_name, experiment_name)' in init, where
    assert "from verl.utils.logger import LocalLogger" in init and "LocalLogger(print_to_console=True)" in init, where
    assert "print(concat_dict_to_str(data, step=step), flush=True)" in inspect.getsource(aggregate_logger.LocalLogger)
    load = inspect.getsource(trainer_base.PPOTrainer._load_checkpoint)
    for line in ('resume_mode == "disable"', "find_latest_ckpt_path(checkpoint_folder)",
                 'int(global_step_folder.split("global_step_")[-1])'):  # fmt: skip
        assert line in load, f"{where}: verl's resume rule changed ({line})"
    fit = inspect.getsource(trainer_base.PPOTrainer.fit)
    assert "self.logger.log(data=val_metrics, step=self.global_steps)" in fit, f"{where}: val_before_train's step"
    assert callable(find_latest_ckpt_path)
