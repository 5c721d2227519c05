"""Stand-in for a training launch in the run-folder tests: ``r1_reward.main_ppo``'s real Hydra entry and ``run``,
with the checks that need a cluster or a judge stubbed and verl's ``run_ppo`` replaced by a loop that logs through
verl's own ``Tracking`` (console and file backends, as verl's trainer does) in this process, no Ray.

The loop does what verl 0.9.1's trainer does around logging: resume from the step in
``<default_local_dir>/latest_checkpointed_iteration.txt``, log ``val_before_train`` at that step, then per step save
a checkpoint (every ``save_freq``, before logging, as verl does) and log one line. ``KILL_AFTER_STEP=n`` SIGKILLs the
process right after step n's line. The runtime env the driver prepared for Ray workers is applied to this process, and
the r1_reward loggers are installed as ``r1_reward.register`` does in every verl process.
"""

import os
import signal
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

import r1_reward.main_ppo as main_ppo

CONF = str(Path(__file__).resolve().parents[1] / "conf")


def fake_run_ppo(config: DictConfig, task_runner_class=None) -> None:
    os.environ.update(config.ray_kwargs.ray_init.runtime_env.env_vars or {})
    from verl.utils.tracking import Tracking

    from r1_reward.verl_glue import run_logs

    run_logs.install()
    trainer = config.trainer
    checkpoints = Path(trainer.default_local_dir)
    tracker = checkpoints / "latest_checkpointed_iteration.txt"
    start = int(tracker.read_text()) if tracker.exists() else 0
    tracking = Tracking(trainer.project_name, trainer.experiment_name, default_backend=list(trainer.logger))
    if trainer.val_before_train:
        tracking.log({"val-core/toy/acc": 0.5}, step=start)
    kill_after = int(os.environ.get("KILL_AFTER_STEP", "0"))
    for step in range(start + 1, trainer.total_training_steps + 1):
        if step % trainer.save_freq == 0 or step == trainer.total_training_steps:
            (checkpoints / f"global_step_{step}").mkdir(parents=True, exist_ok=True)
            tracker.write_text(str(step))
        tracking.log({"actor/pg_loss": step / 10, "launch": float(os.environ["LAUNCH"])}, step=step)
        if step == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    tracking.finish()


@hydra.main(config_path=CONF, config_name="r1_reward", version_base=None)
def main(config: DictConfig) -> None:
    for name in ("validate", "probe_judge", "check_cluster"):
        setattr(main_ppo, name, lambda _config: None)
    main_ppo.preflight.check = lambda _config: None
    sys.modules["verl.trainer.main_ppo"].run_ppo = fake_run_ppo
    main_ppo.run(config)


if __name__ == "__main__":
    import verl.trainer.main_ppo  # noqa: F401 - imported before main_ppo.run looks run_ppo up in it

    main()
