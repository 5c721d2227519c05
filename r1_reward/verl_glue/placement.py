"""Pin verl's resource pools to the nodes a launcher reserved for them.

verl 0.9.1 asks Ray for its pools' placement groups without saying where, so with ``reward.reward_model.
enable_resource_pool`` Ray may put training bundles on the node meant for the judge and the judge on a training node
(seen on a 3-node cluster: the actor on nodes 1 and 3, the judge on node 1). ``launch/slurm/train.sh`` gives the
training and judge nodes each a Ray custom resource and names them in ``r1_reward.cluster``; every bundle of a pool
then also asks for a sliver of its resource (verl's own ``RayResourcePool(accelerator_type=...)`` mechanism), so
Ray can only place it on those nodes.

Written against verl 0.9.1 (pinned in tests/test_verl_api.py). No upstream issue is known; retire it when verl's
ResourcePoolManager takes per-pool node constraints.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf
from verl.single_controller.ray.base import RayResourcePool, ResourcePoolManager

# verl's pool names (verl/trainer/ppo/v1/trainer_base.py, _init_resource_pool_mgr).
TRAIN_POOL = "global_pool"
JUDGE_POOL = "reward_pool"


def pool_node_resources(config: DictConfig) -> dict[str, str]:
    """Pool name -> Ray custom resource its bundles must land on, from ``r1_reward.cluster`` (empty: no pinning)."""
    wanted = {
        TRAIN_POOL: OmegaConf.select(config, "r1_reward.cluster.train_node_resource"),
        JUDGE_POOL: OmegaConf.select(config, "r1_reward.cluster.judge_node_resource"),
    }
    return {pool: resource for pool, resource in wanted.items() if resource}


@dataclass
class PinnedResourcePoolManager(ResourcePoolManager):
    """verl's ResourcePoolManager whose pools ask for a node resource in every bundle."""

    node_resources: Mapping[str, str] = field(default_factory=dict)

    def create_resource_pool(self):
        for name, process_on_nodes in self.resource_pool_spec.items():
            self.resource_pool_dict[name] = RayResourcePool(
                process_on_nodes=process_on_nodes,
                use_gpu=True,
                max_colocate_count=self.max_colocate_count,
                name_prefix=name,
                accelerator_type=self.node_resources.get(name),
            )
        self._check_resource_available()


def pin_pools(manager: ResourcePoolManager, config: DictConfig) -> ResourcePoolManager:
    """The same pools as ``manager``, pinned as ``r1_reward.cluster`` says (``manager`` itself when nothing is set)."""
    resources = pool_node_resources(config)
    if not resources:
        return manager
    return PinnedResourcePoolManager(
        resource_pool_spec=manager.resource_pool_spec,
        mapping=manager.mapping,
        max_colocate_count=manager.max_colocate_count,
        node_resources=resources,
    )
