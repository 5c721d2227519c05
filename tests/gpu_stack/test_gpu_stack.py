"""The GPU stack, checked without a GPU: pins, imports, full configs and the vLLM engine arguments verl would use.

Run in the GPU stack env: ``make gpu-stack-env && make test-gpu-stack``.
"""

import argparse
import asyncio
import json
from importlib.metadata import version
from pathlib import Path

import pytest
from hydra_compose import CONF, compose_config
from omegaconf import OmegaConf

from r1_reward.cluster.resources import pools, shortfall
from r1_reward.main_ppo import validate

pytestmark = pytest.mark.gpu_stack

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted(path.stem for path in (CONF / "experiment").glob("*.yaml"))
# 4 nodes x 8 GPUs: all 32 train, or 4 GPUs of each node train and 4 hold the judge pool. (Three training nodes and a
# judge node, launch/slurm/train.sh's JUDGE_NODES=1 on 4 nodes, leave 24 training GPUs, which the paper's batch of 256
# does not divide: see test_three_training_nodes_do_not_divide_the_papers_batch.)
CLUSTER = {
    "rule": ["trainer.nnodes=4", "trainer.n_gpus_per_node=8", "judge=rule"],
    "pool": ["trainer.nnodes=4", "trainer.n_gpus_per_node=4", "judge=pool", "reward.reward_model.nnodes=4",
             "reward.reward_model.n_gpus_per_node=4"],
}  # fmt: skip
# Qwen2.5-VL-7B-Instruct's config.json values that the engine arguments depend on.
QWEN25_VL_7B = {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
                "num_key_value_heads": 4, "max_position_embeddings": 128000, "vocab_size": 152064}  # fmt: skip


def pinned(line: str) -> tuple[str, str]:
    name, _, pin = line.partition("==")
    return name.strip(), pin.strip()


def test_installed_versions_are_the_constraints_pins():
    lines = (REPO / "constraints" / "gpu.txt").read_text().splitlines()
    pins = dict(pinned(line) for line in lines if "==" in line and not line.startswith("#"))
    pins.pop("flash-attn")  # needs a CUDA compiler: not in this env (make setup-gpu builds it on a GPU node)
    assert {name: version(name) for name in pins} == pins


def test_vllm_and_verls_vllm_classes_import():
    import vllm  # noqa: F401
    from verl.experimental.reward_loop.reward_model import RewardModelManager  # noqa: F401
    from verl.workers.rollout.replica import get_rollout_replica_class
    from verl.workers.rollout.vllm_rollout.vllm_async_server import vLLMHttpServer, vLLMReplica  # noqa: F401

    assert get_rollout_replica_class("vllm") is vLLMReplica  # what the policy and the judge pool both look up


composed = compose_config


@pytest.mark.parametrize("judge", ["rule", "pool"])
@pytest.mark.parametrize("engine", ["dp", "megatron"])
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_complete_and_passes_verl_validation(experiment, engine, judge):
    checkpoints = ["actor_rollout_ref.model.path=/ckpt/sft", "reward.reward_model.model_path=/ckpt/r1"]
    config = composed(f"+experiment={experiment}", f"model_engine={engine}", *CLUSTER[judge], *checkpoints)
    OmegaConf.to_container(config, throw_on_missing=True)  # raises naming any `???` left
    validate(config)
    assert shortfall(pools(config), [8.0] * 4) is None  # and our fail-fast check lets it start on 4 x 8 GPUs


def test_three_training_nodes_do_not_divide_the_papers_batch():
    judge_node = ["judge=pool", "reward.reward_model.nnodes=1", "reward.reward_model.n_gpus_per_node=8"]
    config = composed("+experiment=stable_reinforce", "trainer.nnodes=3", "trainer.n_gpus_per_node=8", *judge_node)
    with pytest.raises(AssertionError, match=r"\(256\) must be divisible by minimal possible batch size \(24\)"):
        validate(config)  # verl's check, before Ray starts


@pytest.fixture(scope="module")
def qwen25_vl_7b_dir(tmp_path_factory) -> Path:
    """A checkpoint folder with Qwen2.5-VL-7B's config.json (its shape; tiny weights, which no engine loads)."""
    from r1_reward.cpu import tiny_model

    path = tiny_model.build(tmp_path_factory.mktemp("model"))["vl"]
    config = json.loads((path / "config.json").read_text())
    config["text_config"].update(QWEN25_VL_7B)
    config["text_config"].pop("layer_types", None)  # one per layer: recomputed for 28 layers
    config["vision_config"]["out_hidden_size"] = QWEN25_VL_7B["hidden_size"]
    (path / "config.json").write_text(json.dumps(config))
    return path


def server_args(rollout, model_config, gpus_per_node: int, is_reward_model: bool) -> tuple[object, argparse.Namespace]:
    """verl's own vLLMReplica and vLLMHttpServer.launch_server up to the point where it would start the engine.

    ``vLLMHttpServer.__init__`` runs inside a Ray actor (job id, node IP, free ports), so the server object is made
    without it and given the attributes ``__init__`` would set for replica 0 on its first node; ``launch_server``
    itself (engine kwargs, vLLM's `serve` argument parser and its validation) runs unchanged, with ``run_server``,
    which would start vLLM, replaced by a capture.
    """
    import verl.workers.rollout.vllm_rollout.vllm_async_server as vllm_server

    replica = vllm_server.vLLMReplica(0, rollout, model_config, gpus_per_node, is_reward_model=is_reward_model)
    server = object.__new__(vllm_server.vLLMHttpServer)
    server._disaggregation_role, server._disaggregation_kv_transfer_config = "null", None
    server.config = server._init_config(replica.config)
    server.model_config = server._init_model_config(model_config)
    server._validate_configs()
    server.replica_rank, server.node_rank, server.workers = 0, 0, []
    server.gpus_per_node, server.nnodes = replica.gpus_per_replica_node, replica.nnodes
    server._master_address, server._master_port, server._dp_rpc_port = "127.0.0.1", 0, 0
    server.profiler_controller = vllm_server.build_rollout_dist_profiler(0, replica.world_size, config=None)
    captured = []

    async def capture(args):
        captured.append(args)

    server.run_server = capture
    asyncio.run(server.launch_server())
    return replica, captured[0]


@pytest.fixture(autouse=True)
def cpu_platform_for_vllm(monkeypatch):
    """vLLM finds no accelerator on this machine and then cannot fill its device defaults while parsing; give it its
    CPU platform (only the device type differs from a GPU node's parse; nothing here starts an engine)."""
    import vllm.platforms
    from vllm.platforms.cpu import CpuPlatform

    monkeypatch.setattr(vllm.platforms, "_current_platform", CpuPlatform())


def engine_args(namespace: argparse.Namespace):
    from vllm.engine.arg_utils import AsyncEngineArgs

    return AsyncEngineArgs.from_cli_args(namespace)  # what vLLMHttpServer.run_server starts the engine with


def test_policy_rollout_engine_arguments(qwen25_vl_7b_dir):
    from verl.utils.config import omega_conf_to_dataclass
    from verl.workers.config import HFModelConfig

    policy_path = f"actor_rollout_ref.model.path={qwen25_vl_7b_dir}"
    config = composed("+experiment=stable_reinforce", *CLUSTER["rule"], policy_path)
    model = omega_conf_to_dataclass(config.actor_rollout_ref.model, dataclass_type=HFModelConfig)
    replica, namespace = server_args(config.actor_rollout_ref.rollout, model, 8, is_reward_model=False)
    args = engine_args(namespace)
    # verl's rollout defaults, which our configs leave: TP 2, half the GPU memory (the actor shares the GPU).
    assert (replica.world_size, replica.nnodes) == (2, 1)
    assert args.model == str(qwen25_vl_7b_dir) and args.tensor_parallel_size == 2
    assert args.gpu_memory_utilization == 0.5 and args.dtype == "bfloat16"
    # max_model_len unset in the rollout config: verl takes the model's 128000; prompts are 20480 + 1024 tokens.
    assert args.max_model_len == QWEN25_VL_7B["max_position_embeddings"]
    assert (config.actor_rollout_ref.rollout.prompt_length, config.actor_rollout_ref.rollout.response_length) == (
        20480, 1024)  # fmt: skip
    assert args.max_num_batched_tokens == 8192 and args.enable_sleep_mode is True
    assert not args.limit_mm_per_prompt  # rollout.limit_images unset: vLLM's own per-prompt image limit
    assert args.seed == config.actor_rollout_ref.rollout.seed


def test_judge_pool_engine_arguments(qwen25_vl_7b_dir):
    from verl.workers.config import HFModelConfig

    judge_path = f"reward.reward_model.model_path={qwen25_vl_7b_dir}"
    config = composed("+experiment=stable_reinforce", *CLUSTER["pool"], judge_path)
    reward_model = config.reward.reward_model
    model = HFModelConfig(path=reward_model.model_path)  # as verl's RewardModelManager builds it
    replica, namespace = server_args(reward_model.rollout, model, reward_model.n_gpus_per_node, is_reward_model=True)
    args = engine_args(namespace)
    # conf/judge/pool.yaml: one GPU per judge replica at 0.8 of its memory, so the 4 x 4 pool runs 16 replicas.
    assert (replica.world_size, replica.nnodes) == (1, 1)
    assert reward_model.nnodes * reward_model.n_gpus_per_node // replica.world_size == 16
    assert args.model == str(qwen25_vl_7b_dir) and args.tensor_parallel_size == 1
    assert args.gpu_memory_utilization == 0.8
    assert args.max_model_len == QWEN25_VL_7B["max_position_embeddings"]
    assert (reward_model.rollout.prompt_length, reward_model.rollout.response_length) == (2048, 16)
    assert not args.limit_mm_per_prompt
