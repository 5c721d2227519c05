"""The ``hf`` rollout's engine and chat server on the tiny Qwen2.5-VL (no Ray: the server class is a plain class)."""

import asyncio
from types import SimpleNamespace

import aiohttp
import pytest
import torch
from PIL import Image

from r1_reward.cpu.hf_engine import HFEngine, Request, teacher_forced_log_probs
from r1_reward.cpu.hf_rollout import HFServer
from r1_reward.openai_chat import data_url as to_data_url


@pytest.fixture(scope="module")
def engine(tiny_paths):
    return HFEngine(str(tiny_paths["vl"]))


def _image_messages(colour="red", question="Which is better?") -> list[dict]:
    image = Image.new("RGB", (112, 112), colour)
    return [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": to_data_url(image)}}, {"type": "text", "text": question},
    ]}]  # fmt: skip


def _image_request(engine, max_tokens=12, temperature=1.0, colour="red", question="Which is better?") -> Request:
    return engine.chat_request(_image_messages(colour, question), max_tokens, temperature, 1.0)


def test_log_probs_match_a_teacher_forced_forward_pass(engine):
    # Two prompts of different lengths: the shorter one is left-padded in the batch.
    conversations = [_image_messages("red"), _image_messages("blue", "Which of the two answers is the better one?")]
    requests = [engine.chat_request(messages, 12, 1.0, 1.0) for messages in conversations]
    assert len(requests[0].prompt_ids) != len(requests[1].prompt_ids)
    results = engine.generate(requests)
    for messages, result in zip(conversations, results, strict=True):
        assert 1 <= len(result.token_ids) <= 12 and len(result.log_probs) == len(result.token_ids)
        expected = teacher_forced_log_probs(engine, messages, result.token_ids)
        assert torch.allclose(torch.tensor(result.log_probs), expected, atol=1e-4)


def test_vision_placeholders_are_never_sampled_even_when_the_model_prefers_them(engine, tiny_paths):
    biased = HFEngine(str(tiny_paths["vl"]))
    image_pad = biased.tokenizer.convert_tokens_to_ids("<|image_pad|>")

    def prefer_image_pad(_module, _inputs, logits):  # make <|image_pad|> by far the likeliest next token everywhere
        logits[..., image_pad] += 100.0
        return logits

    biased.model.get_output_embeddings().register_forward_hook(prefer_image_pad)
    request = _image_request(biased, max_tokens=16)
    with torch.no_grad():
        assert int(biased.model(**biased._inputs([request])).logits[0, -1].argmax()) == image_pad
    for result in biased.generate([request] * 4):
        assert image_pad not in result.token_ids and not set(biased.suppressed) & set(result.token_ids)


def test_load_weights_takes_trainer_tensors_and_refuses_unknown_names(engine):
    state = {name: torch.zeros_like(tensor) for name, tensor in engine.model.state_dict().items()}
    fresh = HFEngine(engine.model.name_or_path)
    first = next(iter(state))
    assert fresh.load_weights({first: state[first]}) == 1
    with pytest.raises(KeyError, match="same checkpoint"):
        fresh.load_weights({"not.a.parameter": torch.zeros(1)})
    fresh.load_weights(state)
    assert all(float(t.abs().sum()) == 0.0 for t in fresh.model.state_dict().values())


def test_chat_completions_endpoint_answers_on_loopback(tiny_paths):
    config = SimpleNamespace(prompt_length=256, response_length=8, seed=0)
    server = HFServer(str(tiny_paths["vl"]), config)

    async def exchange():
        host, port = await server.start_http()
        assert host == "127.0.0.1"
        image = to_data_url(Image.new("RGB", (112, 112), "green"))
        parts = [{"type": "image_url", "image_url": {"url": image}}, {"type": "text", "text": "Is it green?"}]
        body = {"model": "tiny", "max_tokens": 6, "messages": [{"role": "user", "content": parts}]}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
            async with client.post(f"http://{host}:{port}/v1/chat/completions", json=body) as response:
                ok = response.status, await response.json()
            async with client.post(f"http://{host}:{port}/v1/chat/completions", json={
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]
            }) as response:  # fmt: skip
                bad = response.status, await response.json()
        return ok, bad

    (ok_status, reply), (bad_status, bad_body) = asyncio.run(exchange())
    assert ok_status == 200, reply
    assert reply["choices"][0]["message"]["role"] == "assistant"
    assert isinstance(reply["choices"][0]["message"]["content"], str)
    assert 1 <= reply["usage"]["completion_tokens"] <= 6
    assert bad_status == 400 and "data URL" in bad_body["detail"]
