"""The OpenAI-compatible endpoint judge against an in-process mock transport (no socket, no network), and the
vLLM output conversion on stand-in objects shaped like vLLM's ``CompletionOutput`` (vLLM itself is not installed)."""

import json
import math
from types import SimpleNamespace

import httpx
import pytest
from PIL import Image

from r1_reward.evaluate.items import BenchItem, Presentation
from r1_reward.evaluate.models.endpoint import EndpointModel
from r1_reward.evaluate.models.vllm_judge import completion_sample

PIECES = ["<think>", "looks", " red", "</think>", "<answer>", "2", "</answer>"]


def _choice(answer_prob=0.8, parseable=True):
    if not parseable:
        return {"message": {"content": "I think the second."}}
    logprobs = [{"token": t, "logprob": math.log(answer_prob if t == "2" else 0.99)} for t in PIECES]
    return {"message": {"content": "".join(PIECES)}, "logprobs": {"content": logprobs}}


def _presentation(tmp_path):
    Image.new("RGB", (8, 8), "red").save(tmp_path / "a.png")
    item = BenchItem("x#0", "x", "What colour?", "red", "blue", "c", ("a.png",), "image")
    return Presentation(item, "chosen_second")


def test_retries_then_tops_up_to_k_samples(tmp_path):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body["n"])
        if len(calls) == 1:
            return httpx.Response(503, json={"error": "warming up"})
        # this server returns at most 2 choices per request, the last one unparseable
        return httpx.Response(200, json={"choices": [_choice(), _choice(parseable=False)][: body["n"]]})

    judge = EndpointModel("http://judge.test/v1", "r1", media_root=tmp_path, backoff_s=0.0,
                          transport=httpx.MockTransport(handler))  # fmt: skip
    samples = judge.judge([_presentation(tmp_path)], k=3)[0]
    judge.close()
    assert calls == [3, 3, 1]  # a retry after the 503, then one more request for the missing sample
    assert [s.answer for s in samples] == ["2", None, "2"]
    assert samples[0].prob == pytest.approx(0.8) and samples[1].prob is None


def test_request_carries_prompt_image_and_sampling(tmp_path):
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"choices": [_choice()]})

    judge = EndpointModel("http://judge.test/v1/", "r1", media_root=tmp_path, transport=httpx.MockTransport(handler))
    judge.judge([_presentation(tmp_path)], k=1)
    judge.close()
    content = bodies[0]["messages"][0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "[Response 1]: blue" in content[1]["text"] and "[Response 2]: red" in content[1]["text"]
    assert (bodies[0]["temperature"], bodies[0]["n"]) == (0.0, 1)


def test_gives_up_after_retries_with_a_clear_error(tmp_path):
    judge = EndpointModel("http://judge.test/v1", "r1", media_root=tmp_path, retries=2, backoff_s=0.0,
                          transport=httpx.MockTransport(lambda r: httpx.Response(502)))  # fmt: skip
    with pytest.raises(RuntimeError, match="failed after 3 tries"):
        judge.judge([_presentation(tmp_path)], k=1)
    judge.close()


def test_vllm_completion_conversion():
    ids = list(range(len(PIECES)))
    logprob = {p: math.log(0.6 if p == "2" else 0.9) for p in PIECES}
    steps = [{i: SimpleNamespace(logprob=logprob[p], decoded_token=p)} for i, p in enumerate(PIECES)]
    completion = SimpleNamespace(text="".join(PIECES), token_ids=ids, logprobs=steps)
    sample = completion_sample(completion)
    assert (sample.answer, sample.prob) == ("2", pytest.approx(0.6))
    assert completion_sample(SimpleNamespace(text="no verdict", token_ids=[], logprobs=None)).answer is None
