"""verl V1 trainer ``r1_reward_sync``: verl's synchronous PPO trainer plus StableReinforce step metrics.

verl's advantage-estimator interface returns tensors only, so the filter statistics that
``r1_reward.algos.adv_filter`` records are added to the step's metrics here, through verl's trainer registry.
"""

from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from r1_reward.algos.adv_filter import pop_filter_metrics

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

    def _compute_advantage(self, batch, metrics: dict):
        pop_filter_metrics()
        batch = super()._compute_advantage(batch, metrics=metrics)
        metrics.update(pop_filter_metrics())
        return batch
