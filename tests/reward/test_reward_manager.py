"""R1RewardManager inside verl's reward-loop contract: DataProto in, reward + sub-scores out, judge via config."""

import asyncio

import numpy as np
import pytest
import torch
from hydra_compose import compose_config
from verl import DataProto

from r1_reward.reward.manager import R1RewardManager
from r1_reward.testing.loopback_judge import Behaviour, LoopbackJudgeServer

PROMPT_LEN, RESPONSE_LEN = 4, 64

# (output, ground truth, reward with a correct judge): 1*(1+.5)+.5, 1+.5, 0+.5, 0
ROWS = [
    ("<think>Response 2 is better.</think><answer>2</answer>", "2", 2.0),
    ("<think>Response 1 is better.</think><answer>2</answer>", "2", 1.5),
    ("<think>Response 1 is better.</think><answer>1</answer>", "2", 0.5),
    ("no tags at all", "1", 0.0),
]


def make_batch(tokenizer) -> DataProto:
    """What verl's agent loop hands the reward loop: left-padded prompts, right-padded responses, ground truth."""
    responses = torch.full((len(ROWS), RESPONSE_LEN), tokenizer.pad_token_id)
    mask = torch.zeros((len(ROWS), PROMPT_LEN + RESPONSE_LEN), dtype=torch.long)
    mask[:, :PROMPT_LEN] = 1
    for row, (text, _, _) in enumerate(ROWS):
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert len(ids) <= RESPONSE_LEN
        responses[row, : len(ids)] = torch.tensor(ids)
        mask[row, PROMPT_LEN : PROMPT_LEN + len(ids)] = 1
    prompts = torch.zeros((len(ROWS), PROMPT_LEN), dtype=torch.long)
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": responses, "attention_mask": mask},
        non_tensors={"reward_model": np.array([{"ground_truth": truth} for _, truth, _ in ROWS], dtype=object)},
    )


async def score_all(manager: R1RewardManager, data: DataProto) -> list[dict]:
    """As verl's RewardLoopWorker does: one run_single per sample, all concurrently on one loop."""
    return list(await asyncio.gather(*(manager.run_single(data[i : i + 1]) for i in range(len(data)))))


def test_rule_judge_rewards_and_sub_scores(byte_tokenizer) -> None:
    manager = R1RewardManager(compose_config(), byte_tokenizer, compute_score=None)
    data = make_batch(byte_tokenizer)
    outputs = asyncio.run(score_all(manager, data))
    assert [o["reward_score"] for o in outputs] == [reward for _, _, reward in ROWS]
    assert [o["reward_extra_info"]["consistency"] for o in outputs] == [1.0, 0.0, 0.0, 0.0]
    assert [o["reward_extra_info"]["format"] for o in outputs] == [1.0, 1.0, 1.0, 0.0]
    assert all(set(o["reward_extra_info"]) == set(outputs[0]["reward_extra_info"]) for o in outputs)
    # verl puts each score on the last valid response token
    rm_scores = R1RewardManager.assemble_rm_scores(data, [o["reward_score"] for o in outputs])
    last = data.batch["attention_mask"][:, PROMPT_LEN:].sum(-1) - 1
    assert rm_scores[torch.arange(len(ROWS)), last].tolist() == [2.0, 1.5, 0.5, 0.0]
    assert rm_scores.sum().item() == pytest.approx(4.0)


async def _with_server(byte_tokenizer, overrides: list[str], router: bool):
    server = LoopbackJudgeServer(Behaviour("ok", latency_s=0.01))
    base_url = await server.start()
    address = base_url.removeprefix("http://").removesuffix("/v1")
    extra = [f"r1_reward.judge.base_url={base_url}"] if not router else []
    manager = R1RewardManager(
        compose_config(*overrides, *extra), byte_tokenizer, None, reward_router_address=address if router else None
    )
    try:
        return await score_all(manager, make_batch(byte_tokenizer)), server.requests
    finally:
        await manager.judge.close()
        await server.stop()


@pytest.mark.parametrize(
    ("overrides", "router"),
    [
        (["judge=endpoint"], False),
        (["judge=pool", "reward.reward_model.model_path=tiny-judge"], True),  # verl's router address, our client
    ],
    ids=["endpoint", "pool"],
)
def test_http_judges_through_the_manager(byte_tokenizer, overrides: list[str], router: bool) -> None:
    outputs, requests = asyncio.run(_with_server(byte_tokenizer, overrides, router))
    assert [o["reward_score"] for o in outputs] == [reward for _, _, reward in ROWS]
    assert requests == 2  # only the two right answers reach the judge


def test_pool_without_router_names_the_fix(byte_tokenizer) -> None:
    with pytest.raises(ValueError, match="reward.reward_model.enable=true"):
        R1RewardManager(compose_config("judge=pool"), byte_tokenizer, None, reward_router_address=None)
