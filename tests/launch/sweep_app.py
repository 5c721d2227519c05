"""Stand-in for ``r1_reward.main_ppo`` in sweep tests: same config and Hydra callbacks, no training.

It resolves the config and places the outputs in the run folder as ``main_ppo`` does before Ray starts, records the
run's experiment name, and logs two steps of metrics in verl's ``file``-logger format at the path verl's logger would
use with the environment ``place_outputs`` set up (``test_launch_sweep`` checks that rule against verl's own
FileLogger; verl is not imported here to keep the sweep fast). The metric values are a known function of the
overrides; a run with ``r1_reward.pre_clip.log_bound=13`` crashes.
"""

import json
import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from r1_reward import run_folder

CONF = str(Path(__file__).resolve().parents[2] / "conf")


@hydra.main(config_path=CONF, config_name="r1_reward", version_base=None)
def main(config: DictConfig) -> None:
    OmegaConf.resolve(config)
    folder = run_folder.run_folder(config)
    run_folder.place_outputs(config, folder, dict(os.environ))
    (Path(HydraConfig.get().runtime.output_dir) / "experiment_name.txt").write_text(config.trainer.experiment_name)
    bound, threshold = config.r1_reward.pre_clip.log_bound, config.r1_reward.adv_filter.threshold
    if bound == 13:
        raise RuntimeError("simulated crash at step 1")
    records = [
        {"step": 1, "data": {"critic/score/mean": 0.0, "actor/pre_clipfrac": 1.0}},
        {"step": 2, "data": {"critic/score/mean": bound / 100, "val-core/toy/acc": threshold / 10}},
    ]
    env_vars = config.ray_kwargs.ray_init.runtime_env.env_vars  # what verl's logger would see in its Ray worker
    path = run_folder.metrics_path(
        config.trainer.project_name, config.trainer.experiment_name, {**os.environ, **env_vars}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


if __name__ == "__main__":
    main()
