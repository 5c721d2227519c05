"""The R1-Reward pair judge and the group reward manager against a loopback judge whose preference is known
(the longer response wins): images travel in the request, Table 1's slots, failures counted, identical pairs merged,
and the manager's scores equal Eq. 3 worked out by hand."""

import asyncio
import base64
import io

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image
from verl import DataProto

from r1_reward.judge.base import JudgeError
from r1_reward.testing.loopback_pairwise import LoopbackPairJudge, PairBehaviour
from r1_reward.tournament.pair_judge import GroupPrompt, PairJudge, PairJudgeSettings, p_first_of
from r1_reward.tournament.pairing import Match


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def run_with_server(behaviour: PairBehaviour, body):
    """Start the loopback judge, run ``body(server, base_url)``, stop it; returns (result, server)."""

    async def main():
        server = LoopbackPairJudge(behaviour)
        url = await server.start()
        try:
            return await body(server, url), server
        finally:
            await server.stop()

    return asyncio.run(main())


def judge_at(url: str, **kwargs) -> PairJudge:
    settings = PairJudgeSettings(base_url=url, model="r1", retries=1, backoff_s=0.01, timeout_s=5.0, **kwargs)
    return PairJudge(settings, name="endpoint")


async def judge_one_pair(server, url):
    """One verdict on a text-only pair from a fresh endpoint judge."""
    judge = judge_at(url)
    try:
        return await judge.judge(GroupPrompt("q"), ["a", "b"], Match(0, 1))
    finally:
        await judge.close()


def test_request_carries_the_image_and_table_1_prompt():
    image = png("red")

    async def body(server, url):
        judge = judge_at(url)
        try:
            return await judge.judge(GroupPrompt.build("What colour?", [image]), ["a", "bbb"], Match(1, 0))
        finally:
            await judge.close()

    verdict, server = run_with_server(PairBehaviour(), body)
    content = server.bodies[0]["messages"][0]["content"]
    assert content[0]["type"] == "image_url"
    sent = content[0]["image_url"]["url"]
    assert sent.startswith("data:image/png;base64,") and base64.b64decode(sent.split(",", 1)[1]) == image
    # Response 1 is the match's first response (index 1, "bbb"), and the longer one wins.
    assert "[Question]: What colour?; [Response 1]: bbb; [Response 2]: a" in content[1]["text"]
    assert (verdict.p_first, verdict.status) == (1.0, "ok")


def test_unparseable_and_failed_are_reported_not_scored():
    unparseable, _ = run_with_server(PairBehaviour(fault="unparseable"), judge_one_pair)
    failed, server = run_with_server(PairBehaviour(fault="http500"), judge_one_pair)
    assert (unparseable.p_first, unparseable.status) == (None, "unparseable")
    assert (failed.p_first, failed.status) == (None, "failed") and server.requests == 2  # first try + 1 retry


def test_refused_request_stops_naming_the_fix():
    with pytest.raises(JudgeError, match="r1_reward.judge.model"):
        run_with_server(PairBehaviour(fault="http401"), judge_one_pair)


def test_identical_pairs_share_one_request_and_concurrency_is_bounded():
    async def body(server, url):
        judge = judge_at(url, concurrency=3)
        group, responses = GroupPrompt("q"), ["same", "same", "x" * 5, "y" * 6, "z" * 7, "w" * 8]
        try:
            matches = [Match(i, j) for i in range(6) for j in range(6) if i != j]
            return await asyncio.gather(*(judge.judge(group, responses, m) for m in matches))
        finally:
            await judge.close()

    verdicts, server = run_with_server(PairBehaviour(latency_s=0.02), body)
    assert len(verdicts) == 30
    # Distinct (Response 1, Response 2) texts: same/same 1, same/other 4, other/same 4, other/other 12 = 21.
    assert server.requests == 21
    assert server.max_inflight <= 3


def test_answer_token_probability_weights_the_verdict():
    def reply(answer: str, logprob: float) -> dict:
        tokens = [{"token": t, "logprob": 0.0} for t in ["<think>", "x", "</think>", "<answer>"]]
        tokens += [{"token": answer, "logprob": logprob}, {"token": "</answer>", "logprob": 0.0}]
        text = f"<think>x</think><answer>{answer}</answer>"
        return {"choices": [{"message": {"content": text}, "logprobs": {"content": tokens}}]}

    assert p_first_of(reply("1", np.log(0.8))) == (pytest.approx(0.8), "ok")
    assert p_first_of(reply("2", np.log(0.8))) == (pytest.approx(0.2), "ok")
    assert p_first_of({"choices": [{"message": {"content": "<answer>2</answer>"}}]}) == (0.0, "ok")
    assert p_first_of({"error": "x"}) == (None, "unparseable")


class CharTokenizer:
    """Token id k decodes to chr(k) (0 is padding)."""

    def decode(self, ids, skip_special_tokens=True):
        return "".join(chr(int(i)) for i in ids if int(i))


def objects(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def group_data(responses: list[str], image: bytes, uid: str = "p0", data_source: str = "toy", truth: str = "1"):
    width = max(len(r) for r in responses)
    ids = torch.zeros(len(responses), width, dtype=torch.long)
    for row, text in enumerate(responses):
        ids[row, : len(text)] = torch.tensor([ord(c) for c in text])
    prompts = torch.ones(len(responses), 3, dtype=torch.long)
    mask = torch.cat([torch.ones_like(prompts), (ids > 0).long()], dim=1)
    # As verl's RLHFDataset builds it from an {"bytes": png} image column.
    image_part = {"type": "image", "bytes": image, "image": Image.open(io.BytesIO(image))}
    raw_prompt = [{"role": "user", "content": [image_part, {"type": "text", "text": "Which colour?"}]}]
    non_tensor = {
        "uid": np.array([uid] * len(responses), dtype=object),
        "raw_prompt": objects([raw_prompt] * len(responses)),
        "data_source": np.array([data_source] * len(responses), dtype=object),
        "reward_model": np.array([{"ground_truth": truth}] * len(responses), dtype=object),
    }
    return DataProto.from_dict({"prompts": prompts, "responses": ids, "attention_mask": mask}, non_tensors=non_tensor)


def manager_config(url: str, **tournament) -> OmegaConf:
    return OmegaConf.create(
        {
            "r1_reward": {
                "tournament": {"mode": "round_robin", **tournament},
                "judge": {"backend": "endpoint", "base_url": url, "model": "r1", "retries": 0},
            },
            "reward": {"reward_model": {"model_path": None}},
        }
    )


def test_manager_scores_a_group_by_eq3_with_the_image_sent():
    from r1_reward.tournament.manager import TournamentRewardManager

    image = png("blue")

    async def body(server, url):
        manager = TournamentRewardManager(manager_config(url), CharTokenizer())
        try:
            return await manager.run_single(group_data(["bb", "a", "cccc"], image))
        finally:
            await manager.judge.close()

    result, server = run_with_server(PairBehaviour(), body)
    # Longer wins in both orders: "cccc" beats both (2), "bb" beats "a" (1), "a" none (0).
    assert result["reward_score"] == [1.0, 0.0, 2.0]
    assert len(result["reward_extra_info"]["verdicts"]) == 6 == server.requests
    assert all(body["messages"][0]["content"][0]["type"] == "image_url" for body in server.bodies)
    assert result["reward_extra_info"]["images"] == 1


def test_manager_mixes_in_verls_rule_reward():
    from r1_reward.tournament.manager import TournamentRewardManager

    async def body(server, url):
        manager = TournamentRewardManager(manager_config(url, judge_weight=1.0, rule_weight=2.0), CharTokenizer())
        try:
            data = group_data(["#### 41", "#### 42!"], png("red"), data_source="openai/gsm8k", truth="42")
            return await manager.run_single(data)
        finally:
            await manager.judge.close()

    result, _ = run_with_server(PairBehaviour(), body)
    # verl's gsm8k rule: "#### 42!" is right (1), "#### 41" wrong (0); the longer "#### 42!" also wins both orders.
    assert result["reward_extra_info"]["rule_score"] == [0.0, 1.0]
    assert result["reward_score"] == [0.0, 1.0 + 2.0 * 1.0]


def test_manager_refuses_a_split_group():
    from r1_reward.tournament.manager import TournamentRewardManager

    async def body(server, url):
        manager = TournamentRewardManager(manager_config(url), CharTokenizer())
        return await manager.run_single(group_data(["a"], png("red")))

    with pytest.raises(ValueError, match="whole group"):
        run_with_server(PairBehaviour(), body)


def test_question_and_images_from_each_form_verls_dataset_builds(tmp_path):
    from r1_reward.tournament.manager import question_and_images

    red, blue = png("red"), png("blue")
    (tmp_path / "b.png").write_bytes(blue)
    pil = Image.open(io.BytesIO(png("green")))
    raw_prompt = [
        {"role": "system", "content": "You are helpful."},
        {
            "role": "user",
            "content": [
                {"type": "image", "bytes": red, "image": Image.open(io.BytesIO(red))},  # {"bytes": ...} column
                {"type": "image", "image": str(tmp_path / "b.png")},  # a path column
                {"type": "image", "image": pil},  # a PIL column
                {"type": "text", "text": "Compare them."},
            ],
        },
    ]
    question, images = question_and_images(raw_prompt)
    assert question == "Compare them."  # the system turn is not the question
    assert images[0] == red and images[1] == blue and images[2] is pil
    parts = GroupPrompt.build(question, images).image_parts
    assert [base64.b64decode(p["image_url"]["url"].split(",", 1)[1]) for p in parts[:2]] == [red, blue]
