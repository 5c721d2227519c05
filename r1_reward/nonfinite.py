"""Non-finite losses and gradients, reported as such instead of silently poisoning a run.

verl 0.9.1's FSDP engine already skips the optimizer step when the gradient norm is not finite (it prints a
``WARN`` line and zeroes the gradients, ``workers/engine/fsdp/transformer_impl.py``), but nothing in the step log
says so. ``NonFiniteMonitor`` checks a step's metrics, counts the steps where any watched metric is inf/NaN, logs
a warning naming the step and the metrics, and adds ``training/nonfinite_step`` (0/1) and
``training/nonfinite_steps`` (running count) to the metrics. Table 6's ``log_bound=100`` is the case it exists for.
"""

import logging
import math
from collections.abc import Mapping

logger = logging.getLogger(__name__)

# Metric names of verl's actor update (after its "actor/" prefix) whose inf/NaN marks a broken step.
WATCHED = ("actor/pg_loss", "actor/loss", "actor/grad_norm")
# Our loss's share of micro-batches with an inf/NaN loss (r1_reward.algos.pre_clip); > 0 marks a broken step.
LOSS_FRACTION = "actor/nonfinite_loss_frac"


def nonfinite_metrics(metrics: Mapping[str, object]) -> list[str]:
    """Names of the watched metrics that are inf/NaN in this step (or a positive non-finite-loss fraction)."""
    bad = [name for name in WATCHED if name in metrics and not math.isfinite(float(metrics[name]))]
    if float(metrics.get(LOSS_FRACTION, 0.0) or 0.0) > 0.0:
        bad.append(LOSS_FRACTION)
    return bad


class NonFiniteMonitor:
    """Counts steps with a non-finite loss or gradient norm across a run."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def update(self, metrics: Mapping[str, object], step: int) -> dict[str, float]:
        """Check one step's metrics; returns the metrics to add to its log."""
        bad = nonfinite_metrics(metrics)
        if bad:
            self.steps.append(step)
            logger.warning(
                "step %d: non-finite %s (%d such steps so far; verl skips the optimizer step on a non-finite "
                "grad norm). Bound the log-ratio (r1_reward.pre_clip.log_bound <= 88 in fp32) or lower the lr.",
                step,
                ", ".join(bad),
                len(self.steps),
            )
        return {"training/nonfinite_step": float(bool(bad)), "training/nonfinite_steps": float(len(self.steps))}
