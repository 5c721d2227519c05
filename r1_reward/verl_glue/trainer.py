"""verl V1 trainer ``r1_reward_sync``: verl's synchronous PPO trainer plus StableReinforce step metrics.

verl's advantage-estimator interface returns tensors only, so the filter statistics that
``r1_reward.algos.adv_filter`` records are added to the step's metrics here, through verl's trainer registry.
verl 0.9.1 also averages the reward manager's per-sample sub-scores only during validation; the training-time
format rate, accuracy and consistency rate are added here from the same per-sample ``reward_extra_info``, read from
the step's TransferQueue batch as verl's own trainer reads it (``TransferQueue`` is a declared dependency). The verl
internals it overrides or reads are pinned in ``tests/test_verl_api.py``.
With the tournament reward (``r1_reward.tournament.manager``), verl's reward-loop manager is wrapped so whole
GRPO groups are scored together after the rollout (``r1_reward.verl_glue.group_dispatch``), and its metrics are logged.
Steps with a non-finite loss or gradient norm are counted and named (``r1_reward.nonfinite``), and so are rollouts
that failed and were left out of a step (``r1_reward.verl_glue.rollout_failures``).

Written against verl 0.9.1 (pinned in tests/test_verl_api.py). No upstream issue asks for estimator metrics or
training-time reward sub-scores; this class shrinks when verl's estimator interface can return metrics.
"""

import transfer_queue as tq
from omegaconf import open_dict
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from r1_reward.algos.adv_filter import pop_filter_metrics
from r1_reward.nonfinite import NonFiniteMonitor
from r1_reward.reward.metrics import SUB_SCORES, reward_metrics
from r1_reward.tournament.config import tournament_settings, uses_tournament
from r1_reward.verl_glue.group_dispatch import GroupRewardLoop
from r1_reward.verl_glue.placement import pin_pools
from r1_reward.verl_glue.rollout_failures import check_rollouts

TRAINER_NAME = "r1_reward_sync"


@register_trainer(TRAINER_NAME)
class R1RewardTrainer(PPOTrainerSync):
    """Synchronous PPO with the advantage filter's metrics logged each step."""

    def __init__(self, config):
        # verl branches on the literal mode name "sync" (replay buffer, refill, resume, trainer.v1.sync settings) and
        # reads it from the config in PPOTrainer.__init__; this class is that mode, registered under another name
        # only so that verl's TaskRunnerV1 picks it. So the config it runs under says "sync".
        if config.trainer.v1.trainer_mode not in (TRAINER_NAME, "sync"):
            raise ValueError(
                f"R1RewardTrainer runs as trainer.v1.trainer_mode={TRAINER_NAME}, got "
                f"{config.trainer.v1.trainer_mode!r}: leave that key as conf/r1_reward.yaml sets it"
            )
        with open_dict(config):
            config.trainer.v1.trainer_mode = "sync"
        super().__init__(config)
        self._nonfinite = NonFiniteMonitor()

    def on_init_end(self):
        if uses_tournament(self.config):
            self.reward_loop_manager = GroupRewardLoop(self.reward_loop_manager, tournament_settings(self.config))
        super().on_init_end()

    def _compute_reward_colocate(self, batch, metrics: dict | None = None):
        tournament = isinstance(self.reward_loop_manager, GroupRewardLoop)
        if tournament:
            self.reward_loop_manager.bind(batch.keys, batch.partition_id, self.global_steps)
        batch = super()._compute_reward_colocate(batch, metrics=metrics)
        if tournament:
            step_metrics = self.reward_loop_manager.pop_metrics()
            if metrics is not None:
                metrics.update(step_metrics)
        return batch

    def _init_resource_pool_mgr(self):
        super()._init_resource_pool_mgr()
        # Training and judge pools on the nodes the launcher reserved for them (r1_reward.cluster).
        self.resource_pool_manager = pin_pools(self.resource_pool_manager, self.config)

    def _compute_advantage(self, batch, metrics: dict):
        pop_filter_metrics()
        batch = super()._compute_advantage(batch, metrics=metrics)
        metrics.update(pop_filter_metrics())
        return batch

    def _compute_metrics(self, batch, metrics, timing_raw, global_steps, epoch):
        result = super()._compute_metrics(batch, metrics, timing_raw, global_steps, epoch)
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["extra_fields"])
        metrics.update(reward_metrics(sub_scores(data.pop("extra_fields").tolist())))
        metrics.update(self._nonfinite.update(metrics, global_steps))
        expected = self.config.data.train_batch_size * self.config.actor_rollout_ref.rollout.n
        metrics.update(
            check_rollouts(batch.keys, expected, self.config.r1_reward.max_failed_rollout_frac, global_steps)
        )
        return result


def sub_scores(extra_fields: list) -> dict[str, list[float]]:
    """Per-sample reward sub-scores from verl's ``extra_fields``, skipping rows without them (padding)."""
    rows = [field.get("reward_extra_info", {}) if isinstance(field, dict) else {} for field in extra_fields]
    rows = [row for row in rows if all(key in row for key in SUB_SCORES)]
    return {key: [row[key] for row in rows] for key in SUB_SCORES} if rows else {}
