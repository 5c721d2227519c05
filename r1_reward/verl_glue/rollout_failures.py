"""Rollouts that failed in a step of verl 0.9.1's sync trainer: counted, named, and past a share, a stopped run.

verl's agent loop logs a failed rollout ("Error in _run_prompt for uid=…", with its traceback) and tags the prompt
``failure``; the sync replay buffer then builds the step's batch from the trajectories that exist, so the failed ones
are silently left out and the run goes on (it raises only when a step has none at all). This module counts them
from the step batch's keys (``{uid}_{session_id}_{index}``, verl 0.9.1's TransferQueue layout, pinned in
tests/test_verl_api.py): metric ``rollout/failed_sessions``, a warning naming the step, and an error once more than
``r1_reward.max_failed_rollout_frac`` of a step's rollouts failed. Over-long prompts never get this far:
conf/r1_reward.yaml filters them before training.

Written against verl 0.9.1. No upstream issue is known; retire it when verl's sync trainer reports (or refuses) a
step that lost rollouts.
"""

import logging
from collections.abc import Sequence

logger = logging.getLogger(__name__)


def sessions(keys: Sequence[str]) -> int:
    """Rollouts (prompt x sample) present in a step batch: distinct ``{uid}_{session_id}`` of its keys."""
    return len({key.rsplit("_", 1)[0] for key in keys})


def check_rollouts(keys: Sequence[str], expected: int, max_failed_frac: float, step: int) -> dict[str, float]:
    """Step metrics for the rollouts missing from ``keys`` (``expected`` = prompts x rollout.n); raises past
    ``max_failed_frac``."""
    failed = max(expected - sessions(keys), 0)
    if failed:
        share = failed / expected
        message = (
            f"step {step}: {failed} of {expected} rollouts failed and were left out of the step (their errors are "
            "logged above as 'Error in _run_prompt')"
        )
        if share > max_failed_frac:
            raise RuntimeError(
                f"{message}: more than r1_reward.max_failed_rollout_frac={max_failed_frac}. Fix the cause (rollout "
                "engine, prompts), or raise the setting to train on what remains"
            )
        logger.warning(message)
    return {"rollout/failed_sessions": float(failed)}
