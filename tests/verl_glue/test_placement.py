"""r1_reward.verl_glue.placement: verl's pools pinned to the nodes train.sh reserved (no Ray needed)."""

from omegaconf import OmegaConf
from verl.single_controller.ray.base import ResourcePoolManager

from r1_reward.verl_glue.placement import PinnedResourcePoolManager, pin_pools, pool_node_resources


def config(train: str | None, judge: str | None):
    return OmegaConf.create({"r1_reward": {"cluster": {"train_node_resource": train, "judge_node_resource": judge}}})


def manager() -> ResourcePoolManager:
    return ResourcePoolManager(resource_pool_spec={"global_pool": [1, 1], "reward_pool": [1]}, mapping={0: "x"})


def test_nothing_set_leaves_verls_manager_unchanged():
    original = manager()
    assert pool_node_resources(config(None, None)) == {}
    assert pin_pools(original, config(None, None)) is original
    assert pin_pools(original, OmegaConf.create({})) is original


def test_each_pool_asks_for_its_node_resource_in_every_bundle(monkeypatch):
    monkeypatch.setattr(PinnedResourcePoolManager, "_check_resource_available", lambda self: None)
    pinned = pin_pools(manager(), config("train_node", "judge_node"))
    assert isinstance(pinned, PinnedResourcePoolManager)
    assert pinned.resource_pool_spec == {"global_pool": [1, 1], "reward_pool": [1]} and pinned.mapping == {0: "x"}
    pinned.create_resource_pool()
    pools = pinned.resource_pool_dict
    # verl adds {accelerator_type: 1e-4} to each bundle of a pool (RayResourcePool.get_placement_groups).
    assert {name: pool.accelerator_type for name, pool in pools.items()} == {
        "global_pool": "train_node",
        "reward_pool": "judge_node",
    }
    assert pools["global_pool"].store == [1, 1] and pools["reward_pool"].store == [1]


def test_only_the_judge_pool_pinned_when_only_it_is_set(monkeypatch):
    monkeypatch.setattr(PinnedResourcePoolManager, "_check_resource_available", lambda self: None)
    pinned = pin_pools(manager(), config(None, "judge_node"))
    pinned.create_resource_pool()
    assert {name: pool.accelerator_type for name, pool in pinned.resource_pool_dict.items()} == {
        "global_pool": None,
        "reward_pool": "judge_node",
    }
