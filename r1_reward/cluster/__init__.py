"""The Python side of launch/: Ray cluster readiness, the cluster-size check before Ray starts, sweep summaries."""
