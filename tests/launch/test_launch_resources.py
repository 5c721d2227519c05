"""A config that asks for more GPUs than the cluster has stops before Ray starts, naming the settings."""

import pytest
from hydra_compose import compose_config

import r1_reward.cluster.resources as resources
from r1_reward.cluster.resources import Pool, node_gpus, pools, shortfall

TRAIN_4x8 = ("trainer.nnodes=4", "trainer.n_gpus_per_node=8")


def composed(*overrides: str, judge: str = "rule"):
    """The paper's experiment from an SFT checkpoint; the judge outside the training pool unless ``judge=pool``."""
    return compose_config("+experiment=stable_reinforce", "actor_rollout_ref.model.path=/ckpt/sft", f"judge={judge}",
                          *overrides)  # fmt: skip


def trainer(nnodes: int, gpus: int) -> Pool:
    return Pool("global_pool", nnodes, gpus, "trainer")


def judge(nnodes: int, gpus: int) -> Pool:
    return Pool("reward_pool", nnodes, gpus, "reward.reward_model")


@pytest.mark.parametrize(
    ("wanted", "nodes", "expected"),
    [
        ([trainer(1, 8)], [8.0], None),
        ([trainer(4, 8)], [8.0] * 4, None),
        # 32 GPUs asked, 8 there: the README's Train command on one 8-GPU machine with nnodes=4.
        ([trainer(4, 8)], [8.0], "asks for 32 GPUs (trainer.nnodes=4 x trainer.n_gpus_per_node=8)"),
        ([trainer(1, 8)], [0.0], "asks for 8 GPUs"),
        # The judge pool needs GPUs of its own: 8 + 1 > 8.
        ([trainer(1, 8), judge(1, 1)], [8.0], "reward.reward_model.nnodes=1 x reward.reward_model.n_gpus_per_node=1"),
        ([trainer(3, 8), judge(1, 8)], [8.0] * 4, None),
        # Two 8-GPU groups fit on one 16-GPU node (verl's groups are per pool node, not per Ray node).
        ([trainer(2, 8)], [16.0], None),
        # 16 GPUs in total, but only one node can hold a group of 8.
        ([trainer(2, 8)], [12.0, 4.0], "needs 2 node(s) with 8 free GPUs each"),
        ([trainer(1, 4), judge(1, 4)], [4.0, 4.0], None),
    ],
)
def test_shortfall(wanted, nodes, expected):
    problem = shortfall(wanted, nodes)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_node_gpus_counts_alive_nodes_gpu_or_npu():
    nodes = [
        {"Alive": True, "Resources": {"CPU": 64.0, "GPU": 8.0}},
        {"Alive": False, "Resources": {"CPU": 64.0, "GPU": 8.0}},
        {"Alive": True, "Resources": {"CPU": 8.0}},
        {"Alive": True, "Resources": {"CPU": 64.0, "NPU": 16.0}},
    ]
    assert node_gpus(nodes) == [8.0, 0.0, 16.0]


def test_pools_follow_verl_resource_pool_spec():
    assert pools(composed(*TRAIN_4x8)) == [trainer(4, 8)]
    judge_1x8 = ("reward.reward_model.nnodes=1", "reward.reward_model.n_gpus_per_node=8")
    with_judge = composed(*TRAIN_4x8, *judge_1x8, judge="pool")
    assert pools(with_judge) == [trainer(4, 8), judge(1, 8)]


def forbid_ray_init(monkeypatch):
    import ray

    monkeypatch.setattr(ray, "init", lambda *a, **k: pytest.fail("Ray must not start for a config that cannot fit"))


def test_run_stops_before_ray_on_a_machine_without_the_gpus(monkeypatch):
    import r1_reward.main_ppo as main_ppo

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(resources, "local_gpus", lambda: 8.0)  # one 8-GPU machine
    forbid_ray_init(monkeypatch)
    config = composed(*TRAIN_4x8, "+ray_kwargs.ray_init.address=local")
    with pytest.raises(RuntimeError, match=r"asks for 32 GPUs \(trainer.nnodes=4 x trainer.n_gpus_per_node=8\)"):
        main_ppo.run(config)


def test_logical_gpus_of_ray_init_count():
    local_2 = ("+ray_kwargs.ray_init.address=local", "+ray_kwargs.ray_init.num_gpus=2")
    config = composed("trainer.n_gpus_per_node=2", *local_2)
    assert resources.cluster_gpus(config) == ([2.0], "ray_kwargs.ray_init.num_gpus")
    resources.check_cluster(config)


def test_existing_cluster_is_asked_through_a_short_connection(monkeypatch):
    import ray

    calls = []
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kwargs: calls.append(("init", kwargs["address"])))
    monkeypatch.setattr(ray, "nodes", lambda: [{"Alive": True, "Resources": {"GPU": 8.0}}] * 3)
    monkeypatch.setattr(ray, "shutdown", lambda: calls.append(("shutdown",)))
    with pytest.raises(RuntimeError, match="24 GPUs on 3 node.*the Ray cluster at 10.0.0.1:6379"):
        resources.check_cluster(composed(*TRAIN_4x8))
    # Disconnected again, so verl's run_ppo makes its own ray.init with the runtime env.
    assert calls == [("init", "10.0.0.1:6379"), ("shutdown",)]
