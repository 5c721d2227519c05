"""verl V1 trainer ``r1_reward_sync``: verl's synchronous PPO trainer plus StableReinforce step metrics.

verl's advantage-estimator interface returns tensors only, so the filter statistics that
``r1_reward.algos.adv_filter`` records are added to the step's metrics here, through verl's trainer registry.
verl 0.9.1 also averages the reward manager's per-sample sub-scores only during validation; the training-time
format rate, accuracy and consistency rate are added here from the same per-sample ``reward_extra_info``.
"""

import transfer_queue as tq
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from r1_reward.algos.adv_filter import pop_filter_metrics
from r1_reward.launch.placement import pin_pools
from r1_reward.reward.metrics import SUB_SCORES, reward_metrics

TRAINER_NAME = "r1_reward_sync"


@register_trainer(TRAINER_NAME)
class R1RewardTrainer(PPOTrainerSync):
    """Synchronous PPO with the advantage filter's metrics logged each step."""

    # verl branches on the literal mode name "sync" (replay buffer, refill, resume); this trainer is that
    # mode under another registry name, so it always reports "sync" and ignores the name from the config.
    @property
    def trainer_mode(self) -> str:
        return "sync"

    @trainer_mode.setter
    def trainer_mode(self, _name: str) -> None:
        pass

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
        return result


def sub_scores(extra_fields: list) -> dict[str, list[float]]:
    """Per-sample reward sub-scores from verl's ``extra_fields``, skipping rows without them (padding)."""
    rows = [field.get("reward_extra_info", {}) if isinstance(field, dict) else {} for field in extra_fields]
    rows = [row for row in rows if all(key in row for key in SUB_SCORES)]
    return {key: [row[key] for row in rows] for key in SUB_SCORES} if rows else {}
