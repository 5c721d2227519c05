"""Shared fixtures of the CPU tests: one tiny checkpoint per session, built offline."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_paths(tmp_path_factory):
    from r1_reward.cpu.tiny_model import build

    return build(tmp_path_factory.mktemp("tiny"), seed=0)
