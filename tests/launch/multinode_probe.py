"""Reads a running Ray cluster's own state for the multi-node e2e test and writes it as JSON.

``python multinode_probe.py OUT.json`` (RAY_ADDRESS and the auth token in the environment): every node, every actor
(live or dead: Ray keeps finished jobs' actors) and every worker process Ray knows, and, for each node that ran
actors, which plug-ins verl registers there in the runtime env Ray recorded for those actors: a task pinned to that
node, started with the actors' env vars, imports verl (which imports ``VERL_USE_EXTERNAL_MODULES``) and lists
verl's policy-loss and advantage-estimator registries.
"""

import json
import os
import sys

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from ray.util.state import list_actors, list_nodes, list_workers

LIMIT = 10_000


@ray.remote(num_cpus=0)
def registries() -> dict:
    """verl's registries as a verl worker on this node sees them after ``import verl``."""
    import verl  # noqa: F401  (imports the VERL_USE_EXTERNAL_MODULES plug-ins, as in every verl worker)
    from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY, POLICY_LOSS_REGISTRY

    return {
        "node_ip": ray.util.get_node_ip_address(),
        "external_modules": os.environ.get("VERL_USE_EXTERNAL_MODULES"),
        "losses": sorted(POLICY_LOSS_REGISTRY),
        "estimators": sorted(ADV_ESTIMATOR_REGISTRY),
    }


def env_vars(actor) -> dict:
    return json.loads(actor.get("serialized_runtime_env") or "{}").get("env_vars") or {}


def main(out: str) -> None:
    ray.init(address=os.environ["RAY_ADDRESS"], logging_level="ERROR", log_to_driver=False)
    nodes = [
        {"node_id": n.node_id, "node_ip": n.node_ip, "state": n.state, "gpus": n.resources_total.get("GPU", 0)}
        for n in list_nodes(limit=LIMIT, detail=True)
    ]
    actors = [
        {key: actor.get(key) for key in ("class_name", "name", "node_id", "pid", "state", "job_id")}
        | {"env_vars": env_vars(actor)}
        for actor in (a.__dict__ for a in list_actors(limit=LIMIT, detail=True, raise_on_missing_output=False))
    ]
    workers = [
        {key: getattr(w, key, None) for key in ("worker_id", "node_id", "pid", "worker_type", "job_id", "is_alive")}
        for w in list_workers(limit=LIMIT, detail=True, raise_on_missing_output=False)
    ]
    alive = {n["node_id"] for n in nodes if n["state"] == "ALIVE"}
    # One probe per node and recorded verl env (VERL_*: the platform and the plug-in modules) of the verl actors;
    # actors without VERL_PLATFORM (Ray's job supervisor) are not verl's.
    probes = {}
    for actor in actors:
        verl_env = {key: value for key, value in actor["env_vars"].items() if key.startswith("VERL_")}
        if actor["node_id"] in alive and "VERL_PLATFORM" in verl_env:
            probes.setdefault((actor["node_id"], json.dumps(verl_env, sort_keys=True)), verl_env)
    refs = [
        registries.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False), runtime_env={"env_vars": env}
        ).remote()
        for (node_id, _), env in probes.items()
    ]
    seen = [dict(result, node_id=node_id) for (node_id, _), result in zip(probes, ray.get(refs, timeout=300))]
    ray.shutdown()
    with open(out, "w") as file:
        json.dump({"nodes": nodes, "actors": actors, "workers": workers, "registries": seen}, file, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
