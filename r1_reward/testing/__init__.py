"""Loopback servers and fakes for tests, benchmarks and trying things without a GPU; never used by a training run."""
