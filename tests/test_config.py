"""Every experiment composes on verl's ppo_trainer and passes verl's own config classes and validation."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from verl.utils.config import omega_conf_to_dataclass

from r1_reward.algos.adv_filter import StableReinforceAlgoConfig
from r1_reward.algos.pre_clip import PreClipPolicyLossConfig
from r1_reward.main_ppo import validate

CONF = Path(__file__).resolve().parents[1] / "conf"
EXPERIMENTS = sorted(path.stem for path in (CONF / "experiment").glob("*.yaml"))


def composed(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        return compose("r1_reward", overrides=list(overrides))


@pytest.mark.parametrize("engine", ["dp", "megatron"])
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_passes_verl_validation(experiment, engine):
    config = composed(f"+experiment={experiment}", f"model_engine={engine}")
    validate(config)
    actor = omega_conf_to_dataclass(config.actor_rollout_ref.actor)
    assert isinstance(actor.policy_loss, PreClipPolicyLossConfig)
    assert isinstance(omega_conf_to_dataclass(config.algorithm), StableReinforceAlgoConfig)


def test_paper_settings_reach_verl_fields():
    config = composed("+experiment=stable_reinforce")
    assert config.algorithm.adv_estimator == "stable_reinforce"
    assert config.actor_rollout_ref.actor.policy_loss.loss_mode == "stable_reinforce"
    assert config.data.train_batch_size == 256 and config.actor_rollout_ref.actor.ppo_mini_batch_size == 128
    assert config.actor_rollout_ref.actor.optim.lr == 1e-6
    assert config.algorithm.kl_ctrl.kl_coef == 0.0 and config.trainer.total_epochs == 5
    assert config.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.mark.parametrize(
    ("experiment", "estimator", "pre_clip", "threshold"),
    [
        ("reinforce_pp", "reinforce_plus_plus", False, 3.0),
        ("no_pre_clip", "stable_reinforce", False, 3.0),
        ("no_adv_filter", "stable_reinforce", True, None),
    ],
)
def test_ablations_change_only_their_component(experiment, estimator, pre_clip, threshold):
    config = composed(f"+experiment={experiment}")
    assert config.algorithm.adv_estimator == estimator
    assert config.actor_rollout_ref.actor.policy_loss.loss_mode == "stable_reinforce"
    assert config.actor_rollout_ref.actor.policy_loss.enabled is pre_clip
    assert config.algorithm.adv_filter_threshold == threshold


def test_namespace_keys_reach_the_workers_config():
    config = composed(
        "+experiment=stable_reinforce", "r1_reward.pre_clip.log_bound=5", "r1_reward.adv_filter.scope=group"
    )
    policy_loss = omega_conf_to_dataclass(config.actor_rollout_ref.actor).policy_loss
    assert policy_loss.log_bound == 5.0
    assert omega_conf_to_dataclass(config.algorithm).adv_norm_scope == "group"


def test_bad_namespace_value_fails_validation_naming_the_key():
    config = composed("+experiment=stable_reinforce", "r1_reward.pre_clip.delta_max=0.5")
    with pytest.raises(Exception, match="r1_reward.pre_clip"):
        validate(config)
