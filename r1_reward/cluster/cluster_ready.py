"""Check that a Ray cluster has all the nodes and GPUs a multi-node launch expects.

``python -m r1_reward.cluster.cluster_ready --address HEAD:6379 --nodes 3 --gpus 24`` exits 0 when ready and 1 when
not (yet), printing what it sees; ``launch/slurm/train.sh`` polls it before it starts training, so a node that
never joins shows up as a clear timeout instead of verl hanging on an unplaceable resource pool.
"""

import argparse
import socket
import sys
from collections.abc import Iterable, Mapping
from typing import Any


def count_alive(nodes: Iterable[Mapping[str, Any]]) -> tuple[int, float]:
    """Number of alive nodes and their total GPUs, from ``ray.nodes()`` records."""
    alive = [node for node in nodes if node.get("Alive")]
    return len(alive), sum(float(node.get("Resources", {}).get("GPU", 0.0)) for node in alive)


def readiness(nodes: Iterable[Mapping[str, Any]], want_nodes: int, want_gpus: int) -> tuple[bool, str]:
    """Whether the cluster has at least ``want_nodes`` alive nodes and ``want_gpus`` GPUs, and a one-line status."""
    have_nodes, have_gpus = count_alive(nodes)
    ready = have_nodes >= want_nodes and have_gpus >= want_gpus
    return ready, f"Ray cluster: {have_nodes}/{want_nodes} nodes, {have_gpus:g}/{want_gpus} GPUs"


def accepts_connections(address: str, timeout_s: float = 2.0) -> bool:
    """Whether something listens at ``HOST:PORT`` (the Ray head's GCS port)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return True
    except OSError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="Ray head address, HOST:PORT")
    parser.add_argument("--nodes", type=int, required=True, help="alive nodes expected")
    parser.add_argument("--gpus", type=int, required=True, help="GPUs expected in total")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Connect to the cluster, print its size and return 0 if it is complete, 1 otherwise."""
    args = parse_args(argv)
    if not accepts_connections(args.address):
        # ray.init() would keep retrying a head that is not listening yet; answer "not ready" at once instead.
        print(f"Ray head at {args.address} not listening yet", flush=True)
        return 1
    import ray

    try:
        ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
    except ConnectionError as error:
        print(f"Ray head at {args.address} not reachable yet: {error}", flush=True)
        return 1
    try:
        ready, status = readiness(ray.nodes(), args.nodes, args.gpus)
    finally:
        ray.shutdown()
    print(status, flush=True)
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
