"""Stop before Ray waits: check that the cluster can hold the GPUs the config asks for.

verl 0.9.1 asks Ray for one placement group per node of each resource pool (``[n_gpus_per_node] * nnodes``:
``trainer.*``, ``reward.reward_model.*`` with ``enable_resource_pool``, ``distillation.*``; see
``verl/trainer/ppo/v1/trainer_base.py``) and waits for them. On a cluster that is too small it only raises from
inside a Ray worker, after model set-up, or waits without a word. ``check_cluster`` compares the pools with the GPUs
Ray will see, before anything starts, and raises an error that names the settings to change.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

# Ray's accelerator resources as verl counts them (GPU, else NPU).
ACCELERATORS = ("GPU", "NPU")


@dataclass(frozen=True)
class Pool:
    """One verl resource pool: ``nnodes`` groups of ``gpus_per_node`` GPUs, each group on one node."""

    name: str
    nnodes: int
    gpus_per_node: int
    prefix: str  # config prefix of its nnodes / n_gpus_per_node keys

    def describe(self) -> str:
        return f"{self.prefix}.nnodes={self.nnodes} x {self.prefix}.n_gpus_per_node={self.gpus_per_node}"


def pools(config: DictConfig) -> list[Pool]:
    """The resource pools verl 0.9.1 will create for ``config``."""
    trainer = config.trainer
    result = [Pool("global_pool", trainer.nnodes, trainer.n_gpus_per_node, "trainer")]
    reward_model = config.reward.reward_model
    if reward_model.get("enable_resource_pool"):
        result.append(Pool("reward_pool", reward_model.nnodes, reward_model.n_gpus_per_node, "reward.reward_model"))
    distillation = config.get("distillation")
    if distillation is not None and distillation.get("enabled"):
        result.append(Pool("teacher_pool", distillation.nnodes, distillation.n_gpus_per_node, "distillation"))
    return result


def shortfall(wanted: list[Pool], node_gpus: list[float]) -> str | None:
    """Why ``wanted`` cannot be placed on nodes with ``node_gpus`` GPUs each, or None if it may fit.

    Only conditions that no placement can meet are reported (total GPUs; a pool's per-node groups, pool by
    pool), so a run that Ray could place is never stopped.
    """
    have = f"{sum(node_gpus):g} GPUs on {len(node_gpus)} node(s) ({', '.join(f'{g:g}' for g in node_gpus)})"
    need = sum(pool.nnodes * pool.gpus_per_node for pool in wanted)
    if need > sum(node_gpus):
        asks = " + ".join(pool.describe() for pool in wanted)
        return f"the config asks for {need} GPUs ({asks}) but the Ray cluster has {have}"
    for pool in (pool for pool in wanted if pool.gpus_per_node > 0):  # verl itself rejects a size of 0
        if sum(int(gpus // pool.gpus_per_node) for gpus in node_gpus) < pool.nnodes:
            return (
                f"{pool.describe()} needs {pool.nnodes} node(s) with {pool.gpus_per_node} free GPUs each, "
                f"but the Ray cluster has {have}"
            )
    return None


def node_gpus(nodes: Iterable[Mapping[str, Any]]) -> list[float]:
    """GPUs (or NPUs) of each alive node, from ``ray.nodes()`` records."""
    result = []
    for node in nodes:
        if node.get("Alive"):
            resources = node.get("Resources", {})
            result.append(float(next((resources[name] for name in ACCELERATORS if name in resources), 0.0)))
    return result


def local_gpus() -> float:
    """Accelerators a fresh local Ray would find on this machine (it honours CUDA_VISIBLE_DEVICES like torch)."""
    from verl.utils.device import get_device_name, get_torch_device

    return float(get_torch_device().device_count()) if get_device_name() in ("cuda", "npu") else 0.0


def cluster_gpus(config: DictConfig) -> tuple[list[float], str]:
    """GPUs per node that verl's pools will be placed on, and where the figure comes from."""
    import ray
    from ray._private.services import canonicalize_bootstrap_address

    if ray.is_initialized():
        return node_gpus(ray.nodes()), "the connected Ray cluster"
    ray_init = config.ray_kwargs.get("ray_init", {})
    # Ray's own rule for ray.init(address=...): RAY_ADDRESS, then a cluster started by `ray start` on this machine.
    address = canonicalize_bootstrap_address(ray_init.get("address"))
    if address is None:
        if ray_init.get("num_gpus") is not None:
            return [float(ray_init.num_gpus)], "ray_kwargs.ray_init.num_gpus"
        return [local_gpus()], "this machine (a new local Ray)"
    ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    try:
        return node_gpus(ray.nodes()), f"the Ray cluster at {address}"
    finally:
        ray.shutdown()


def check_cluster(config: DictConfig) -> None:
    """Raise, naming the settings, if the cluster cannot hold the config's resource pools."""
    gpus, source = cluster_gpus(config)
    problem = shortfall(pools(config), gpus)
    if problem:
        raise RuntimeError(
            f"Not enough GPUs: {problem} (seen on {source}). Lower trainer.nnodes / trainer.n_gpus_per_node "
            "(and reward.reward_model.* for judge=pool) to what the cluster has, or run on a cluster that has them "
            "(launch/slurm/train.sh sets both from the allocation); on a CPU use +profile=cpu_tiny."
        )
