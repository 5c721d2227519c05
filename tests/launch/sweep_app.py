"""Stand-in for ``r1_reward.main_ppo`` in sweep tests: same config and Hydra callbacks, no training.

It resolves the config as ``main_ppo`` does before Ray starts, records the run's experiment name, and logs two
steps of metrics in verl's ``file``-logger format at the path verl uses (``test_launch_sweep`` checks that path
against verl's own FileLogger; verl is not imported here to keep the sweep fast). The metric values are a known
function of the overrides; a run with ``r1_reward.pre_clip.log_bound=13`` crashes.
"""

import json
import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from r1_reward.cluster.sweep import METRICS_ROOT_ENV, metrics_file

CONF = str(Path(__file__).resolve().parents[2] / "conf")


@hydra.main(config_path=CONF, config_name="r1_reward", version_base=None)
def main(config: DictConfig) -> None:
    OmegaConf.resolve(config)
    (Path(HydraConfig.get().runtime.output_dir) / "experiment_name.txt").write_text(config.trainer.experiment_name)
    bound, threshold = config.r1_reward.pre_clip.log_bound, config.r1_reward.adv_filter.threshold
    if bound == 13:
        raise RuntimeError("simulated crash at step 1")
    records = [
        {"step": 1, "data": {"critic/score/mean": 0.0, "actor/pre_clipfrac": 1.0}},
        {"step": 2, "data": {"critic/score/mean": bound / 100, "val-core/toy/acc": threshold / 10}},
    ]
    path = metrics_file(Path(os.environ.get(METRICS_ROOT_ENV, ".")), config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


if __name__ == "__main__":
    main()
