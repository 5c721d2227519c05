"""Hydra entry point: ``python -m r1_reward.main_ppo +experiment=stable_reinforce``.

Composes ``conf/r1_reward.yaml`` (verl's ``ppo_trainer`` plus our plug-ins), makes every Ray worker import
``r1_reward.register``, validates with verl's own checks, checks the inputs (``r1_reward.preflight``), points every
output into the run folder (``r1_reward.run_folder``) and hands over to verl's ``run_ppo``, quietly unless
``r1_reward.verbose=true`` (``r1_reward.verl_glue.quiet``).
"""

import os

import hydra
from omegaconf import DictConfig, OmegaConf, open_dict

import r1_reward.register as register
from r1_reward import preflight, run_folder
from r1_reward.algos.adv_filter import validate_filter_config
from r1_reward.cluster.resources import check_cluster
from r1_reward.judge.probe import probe_judge
from r1_reward.reward.config import validate_reward_config
from r1_reward.tournament.config import uses_tournament, validate_tournament_config

EXTERNAL_MODULES_ENV = "VERL_USE_EXTERNAL_MODULES"


def with_plugins(modules: str | None) -> str:
    """Add our registration module to a comma-separated ``VERL_USE_EXTERNAL_MODULES`` value."""
    names = [name for name in (modules or "").split(",") if name]
    if register.MODULE not in names:
        names.append(register.MODULE)
    return ",".join(names)


def export_plugins(config: DictConfig) -> None:
    """Register the plug-ins in this process's env and in the Ray runtime env, before Ray starts."""
    os.environ[EXTERNAL_MODULES_ENV] = with_plugins(os.environ.get(EXTERNAL_MODULES_ENV))
    with open_dict(config):
        runtime_env = config.ray_kwargs.ray_init.runtime_env
        if runtime_env.get("env_vars") is None:
            runtime_env.env_vars = {}
        runtime_env.env_vars[EXTERNAL_MODULES_ENV] = with_plugins(runtime_env.env_vars.get(EXTERNAL_MODULES_ENV))


def validate(config: DictConfig) -> None:
    """verl's own config validation (the same checks ``verl.trainer.main_ppo`` runs)."""
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config
    from verl.utils.device import auto_set_device

    auto_set_device(config)
    validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))


def run(config: DictConfig) -> None:
    """Validate and train with verl's ``run_ppo`` (V1 trainer unless ``trainer.use_v1=false``)."""
    # Hydra-only interpolations (a sweep run's ${hydra:job.override_dirname} name) resolve here, not in Ray workers.
    OmegaConf.resolve(config)
    preflight.check_required(config)
    export_plugins(config)
    # The GRPO tournament (Appendix C.9) brings its own reward manager; every other run uses the R1 reward's.
    validate_tournament_config(config) if uses_tournament(config) else validate_reward_config(config)
    probe_judge(config)
    validate_filter_config(config)
    validate(config)
    check_cluster(config)
    preflight.check(config)
    from verl.trainer.main_ppo import TaskRunnerV1, run_ppo

    from r1_reward.verl_glue import quiet

    verbose = bool(config.r1_reward.verbose)
    if not verbose:
        quiet.quiet_workers(config)
    folder = run_folder.run_folder(config)
    run_folder.place_outputs(config, folder, dict(os.environ))
    run_folder.start_launch(config, folder, dict(os.environ))
    print(f"r1_reward run folder: {folder}", flush=True)
    try:
        if config.trainer.use_v1:
            run_ppo(config, task_runner_class=TaskRunnerV1 if verbose else quiet.QuietTaskRunner)
        else:
            from verl.trainer.main_ppo_v0 import TaskRunner

            run_ppo(config, task_runner_class=TaskRunner)
    finally:
        print(f"r1_reward run folder: {folder}", flush=True)


@hydra.main(config_path="conf", config_name="r1_reward", version_base=None)
def main(config: DictConfig) -> None:
    run(config)


if __name__ == "__main__":
    main()
