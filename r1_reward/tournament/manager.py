"""``TournamentRewardManager``: scores one prompt's whole GRPO group in verl 0.9.1's reward-loop worker.

verl's ``RewardLoopWorker.compute_score(data)`` hands ``data`` to the manager's ``run_single`` unchanged; in a
tournament run r1_reward's trainer (:mod:`r1_reward.verl_glue.group_dispatch`) sends it one *whole group* (all
``rollout.n`` responses of a prompt, with ``uid``, ``raw_prompt``, ``data_source`` and ``reward_model``), so a group
is judged in one worker and never split. The manager plays the configured tournament with the trained R1-Reward
model (:mod:`r1_reward.tournament.pair_judge`, images included), optionally mixes in verl's rule reward where the data
has a ground truth, and returns every score and verdict. Loaded by ``reward.reward_manager.source=importlib,
name=TournamentRewardManager`` (conf/tournament/default.yaml) or by registry name ``r1_tournament``.
"""

import asyncio
import os
import zlib
from typing import Any

from omegaconf import DictConfig
from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
from verl.utils.reward_score import default_compute_score

from r1_reward.tournament.config import TOURNAMENT_MANAGER_NAME, build_pair_judge, tournament_settings
from r1_reward.tournament.pair_judge import GroupPrompt
from r1_reward.tournament.pairing import Verdict, play


def group_seed(seed: int, uid: str) -> int:
    """The seed of one group's pairing: fixed by (config seed, prompt uid), whatever the worker or timing."""
    return zlib.crc32(f"{seed}:{uid}".encode())


def question_and_images(raw_prompt: Any) -> tuple[str, list[Any]]:
    """The user turns' text and their images (PIL, encoded bytes or a file path), as verl's dataset builds them."""
    texts, images = [], []
    for message in raw_prompt:
        if message.get("role") != "user":
            continue
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image":
                images.append(_image_of(part))
    return "\n".join(texts), images


def _image_of(part: dict) -> Any:
    """Encoded bytes when the dataset kept them (sent as they are), else the PIL image, else the file's bytes."""
    if part.get("bytes") is not None:
        return part["bytes"]
    image = part.get("image", part.get("path"))
    if isinstance(image, str | os.PathLike):
        with open(image, "rb") as file:
            return file.read()
    return image


def verdict_rows(verdicts: list[Verdict]) -> list[list]:
    """Verdicts as JSON-ready rows ``[first, second, p_first, status]`` (the verdict log's format)."""
    return [[v.match.first, v.match.second, v.p_first, v.status] for v in verdicts]


@register(TOURNAMENT_MANAGER_NAME)
class TournamentRewardManager(RewardManagerBase):
    """Score(r_i) = judge_weight · Eq. 3 + rule_weight · rule reward, for every response of one group."""

    def __init__(
        self,
        config: DictConfig,
        tokenizer: Any,
        compute_score: Any = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
    ) -> None:
        super().__init__(config, tokenizer, compute_score)
        self.settings = tournament_settings(config)
        self.judge = build_pair_judge(config, self.settings, reward_router_address)

    def _decode(self, data: DataProto) -> list[str]:
        responses = data.batch["responses"]
        lengths = data.batch["attention_mask"][:, -responses.shape[-1] :].sum(dim=1).tolist()
        return [self.tokenizer.decode(ids[:n], skip_special_tokens=True) for ids, n in zip(responses, lengths)]

    def _rule_scores(self, data: DataProto, texts: list[str]) -> list[float]:
        """verl's rule reward (``default_compute_score`` by ``data_source``) of each response, or 0s when unused."""
        if self.settings.rule_weight == 0.0:
            return [0.0] * len(texts)
        scores = []
        batch = data.non_tensor_batch
        for text, source, model in zip(texts, batch["data_source"], batch["reward_model"], strict=True):
            result = default_compute_score(source, text, model["ground_truth"])
            scores.append(float(result["score"] if isinstance(result, dict) else result))
        return scores

    async def run_single(self, data: DataProto) -> dict:
        uids = set(data.non_tensor_batch["uid"].tolist()) if "uid" in data.non_tensor_batch else set()
        if len(uids) != 1 or len(data) < 2:
            raise ValueError(
                f"TournamentRewardManager got {len(data)} samples of {len(uids)} prompts; it scores one whole group "
                "at a time, sent by r1_reward's trainer: keep trainer.v1.trainer_mode=r1_reward_sync and "
                "actor_rollout_ref.rollout.n >= 2 (conf/tournament/default.yaml)"
            )
        texts = await asyncio.get_running_loop().run_in_executor(None, self._decode, data)
        group = GroupPrompt.build(*question_and_images(data.non_tensor_batch["raw_prompt"][0]))
        seed = group_seed(self.settings.seed, uids.pop())
        judge_scores, verdicts = await play(
            self.settings.mode, len(texts), seed, lambda match: self.judge.judge(group, texts, match)
        )
        rule_scores = self._rule_scores(data, texts)
        weights = self.settings
        scores = [weights.judge_weight * j + weights.rule_weight * r for j, r in zip(judge_scores, rule_scores)]
        return {
            "reward_score": scores,
            "reward_extra_info": {
                "judge_score": judge_scores,
                "rule_score": rule_scores,
                "verdicts": verdict_rows(verdicts),
                "images": len(group.image_parts),
            },
        }
