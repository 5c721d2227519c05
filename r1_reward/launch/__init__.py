"""Launch helpers: the Ray cluster readiness check used by launch/slurm/ and the Hydra sweep summary."""
