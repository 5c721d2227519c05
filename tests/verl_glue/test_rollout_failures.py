"""Failed rollouts are counted, named and, past a share, stop the run (r1_reward/verl_glue/rollout_failures.py)."""

import logging

import pytest

from r1_reward.verl_glue.rollout_failures import check_rollouts, sessions


def keys(uids: list[str], n: int = 1) -> list[str]:
    """Step-batch keys as verl's agent loop writes them: {uid}_{session_id}_{index}."""
    return [f"{uid}_{session}_0" for uid in uids for session in range(n)]


def test_sessions_are_prompt_and_sample_pairs():
    # Two turns of one session count once; uids are uuids (hyphens, no underscores).
    assert sessions(["a1-b_0_0", "a1-b_0_1", "a1-b_1_0", "c2-d_0_0"]) == 3


def test_a_full_step_reports_zero_and_logs_nothing(caplog):
    with caplog.at_level(logging.WARNING):
        assert check_rollouts(keys(["a", "b", "c", "d"], n=2), 8, 0.1, step=3) == {"rollout/failed_sessions": 0.0}
    assert caplog.records == []


def test_failures_within_the_share_are_counted_and_named(caplog):
    with caplog.at_level(logging.WARNING):
        metrics = check_rollouts(keys([str(i) for i in range(15)]), 16, 0.1, step=4)
    assert metrics == {"rollout/failed_sessions": 1.0}
    assert "step 4: 1 of 16 rollouts failed and were left out of the step" in caplog.text


def test_failures_past_the_share_stop_the_run_naming_the_setting():
    with pytest.raises(RuntimeError, match=r"step 2: 2 of 8 rollouts failed.*r1_reward.max_failed_rollout_frac=0.1"):
        check_rollouts(keys(["a", "b", "c"], n=2), 8, 0.1, step=2)
