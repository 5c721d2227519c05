"""The r1_reward_sync trainer's tournament glue: verl's reward-loop manager is wrapped only in a tournament run,
verl then takes its colocated reward step (no per-sample streaming), and each batch's keys and metrics pass through."""

from types import SimpleNamespace

from omegaconf import OmegaConf
from verl.trainer.ppo.v1.trainer_base import PPOTrainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from r1_reward.verl_glue.group_dispatch import GroupRewardLoop
from r1_reward.verl_glue.trainer import R1RewardTrainer


def trainer_with(manager_name: str) -> R1RewardTrainer:
    trainer = object.__new__(R1RewardTrainer)
    trainer.config = OmegaConf.create(
        {
            "reward": {"reward_manager": {"name": manager_name}},
            "r1_reward": {"tournament": {"mode": "knockout"}},
        }
    )
    trainer.reward_loop_manager = SimpleNamespace(reward_loop_worker_handles=["worker"], reward_loop_workers=["w"])
    trainer.global_steps = 4
    return trainer


def test_only_a_tournament_run_wraps_the_reward_loop(monkeypatch):
    monkeypatch.setattr(PPOTrainerSync, "on_init_end", lambda self: None)
    plain, tournament = trainer_with("R1RewardManager"), trainer_with("TournamentRewardManager")
    plain.on_init_end()
    tournament.on_init_end()
    assert plain.reward_loop_manager.reward_loop_worker_handles == ["worker"]
    assert isinstance(tournament.reward_loop_manager, GroupRewardLoop)
    # verl's trainer asks these two to decide between streaming per sample and its colocated reward step.
    assert tournament.get_reward_handles() is None
    assert tournament.reward_loop_manager.reward_loop_worker_handles is None
    assert tournament.reward_loop_manager.settings.mode == "knockout"


def test_colocated_reward_binds_the_batch_and_logs_its_metrics(monkeypatch):
    monkeypatch.setattr(PPOTrainerSync, "on_init_end", lambda self: None)
    trainer = trainer_with("TournamentRewardManager")
    trainer.on_init_end()
    seen = {}

    def verls_step(self, batch, metrics=None):
        seen["bound"] = self.reward_loop_manager._bound
        self.reward_loop_manager._metrics = {"tournament/judge_calls": 56.0}
        return batch

    monkeypatch.setattr(PPOTrainer, "_compute_reward_colocate", verls_step)
    batch = SimpleNamespace(keys=["u_0_0", "u_1_0"], partition_id="train")
    metrics: dict = {}
    assert trainer._compute_reward_colocate(batch, metrics=metrics) is batch
    assert seen["bound"] == (["u_0_0", "u_1_0"], "train", 4)
    assert metrics == {"tournament/judge_calls": 56.0}
    trainer._compute_reward_colocate(batch)  # validation passes no metrics dict: nothing left behind
    assert trainer.reward_loop_manager.pop_metrics() == {}
