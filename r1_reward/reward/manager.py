"""``R1RewardManager``: the R1-Reward reward for verl 0.9.1's reward loop (``verl.experimental.reward_loop``).

verl's ``RewardLoopWorker`` (a Ray actor, one per ``reward.num_workers``) creates one manager per process and
calls ``run_single`` for every sample concurrently on one event loop, so the consistency checks of a batch meet
in this process's one judge, which bounds their concurrency, reuses one HTTP client and merges duplicates.
Loaded by ``reward.reward_manager.source=importlib, name=R1RewardManager`` (conf/r1_reward.yaml) or by registry
name ``r1_reward``. ``reward_router_address`` is set by verl only when it manages the judge model (backend pool).
"""

import asyncio
from typing import Any

from omegaconf import DictConfig
from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from r1_reward.judge.config import JudgeConfig
from r1_reward.judge.factory import build_judge
from r1_reward.reward.config import MANAGER_NAME, RewardConfig
from r1_reward.reward.scoring import score_output


@register(MANAGER_NAME)
class R1RewardManager(RewardManagerBase):
    """result × (1 + λ·consistency) + μ·format per sample, with every sub-score in ``reward_extra_info``."""

    def __init__(
        self,
        config: DictConfig,
        tokenizer: Any,
        compute_score: Any = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
    ) -> None:
        super().__init__(config, tokenizer, compute_score)
        self.settings = RewardConfig.from_config(config)
        self.judge = build_judge(
            JudgeConfig.from_config(config.r1_reward.judge),
            router_address=reward_router_address,
            pool_model=config.reward.reward_model.get("model_path"),
        )

    def _decode(self, data: DataProto) -> tuple[str, object]:
        """The last sequence's valid response text and its ground truth."""
        item = data[len(data) - 1]
        response_ids = item.batch["responses"]
        valid_length = int(item.batch["attention_mask"][-response_ids.shape[-1] :].sum())
        text = self.tokenizer.decode(response_ids[:valid_length], skip_special_tokens=True)
        return text, item.non_tensor_batch["reward_model"]["ground_truth"]

    async def run_single(self, data: DataProto) -> dict:
        text, ground_truth = await asyncio.get_running_loop().run_in_executor(None, self._decode, data)
        scores = await score_output(
            text, ground_truth, self.judge, self.settings.weights, self.settings.on_judge_failure
        )
        return {"reward_score": scores["score"], "reward_extra_info": dict(scores)}
