"""The OpenAI-compatible endpoint model under test against a scripted server on 127.0.0.1 (its own thread and event
loop), and the vLLM output conversion on stand-in objects shaped like vLLM's ``CompletionOutput`` (vLLM itself is
not installed)."""

import math
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from aiohttp import web
from PIL import Image

from r1_reward.evaluate import models
from r1_reward.evaluate.items import BenchItem, Presentation
from r1_reward.evaluate.models.endpoint import EndpointModel
from r1_reward.evaluate.models.vllm_judge import completion_sample
from r1_reward.loopback_http import ServedInThread

PIECES = ["<think>", "looks", " red", "</think>", "<answer>", "2", "</answer>"]
SECRET = "sk-test-echoed-by-a-careless-server"


def _choice(answer_prob=0.8, parseable=True):
    if not parseable:
        return {"message": {"content": "I think the second."}}
    logprobs = [{"token": t, "logprob": math.log(answer_prob if t == "2" else 0.99)} for t in PIECES]
    return {"message": {"content": "".join(PIECES)}, "logprobs": {"content": logprobs}}


def _presentation(tmp_path):
    Image.new("RGB", (8, 8), "red").save(tmp_path / "a.png")
    item = BenchItem("x#0", "x", "What colour?", "red", "blue", "c", ("a.png",), "image")
    return Presentation(item, "chosen_second")


class ScriptedEndpoint:
    """``reply(body) -> web.Response`` answers each POST /v1/chat/completions; runs in a thread of its own."""

    def __init__(self, reply: Callable[[dict], web.Response]) -> None:
        self.reply, self.bodies = reply, []
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._served = ServedInThread(app)

    def __enter__(self) -> str:
        return self._served.__enter__()

    def __exit__(self, *_) -> None:
        self._served.__exit__()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        return self.reply(body)


def test_retries_then_tops_up_to_k_samples(tmp_path):
    def reply(body: dict) -> web.Response:
        if len(server.bodies) == 1:
            return web.json_response({"error": "warming up"}, status=503)
        # this server returns at most 2 choices per request, the last one unparseable
        return web.json_response({"choices": [_choice(), _choice(parseable=False)][: body["n"]]})

    with (server := ScriptedEndpoint(reply)) as url:
        model = EndpointModel(url, "r1", media_root=tmp_path, backoff_s=0.0)
        samples = model.judge([_presentation(tmp_path)], k=3)[0]
        model.close()
    assert [b["n"] for b in server.bodies] == [3, 3, 1]  # a retry after the 503, then one more for the missing one
    assert [s.answer for s in samples] == ["2", None, "2"]
    assert samples[0].prob == pytest.approx(0.8) and samples[1].prob is None


def test_request_carries_prompt_image_and_sampling(tmp_path):
    with (server := ScriptedEndpoint(lambda body: web.json_response({"choices": [_choice()]}))) as url:
        model = EndpointModel(url + "/", "r1", media_root=tmp_path)
        model.judge([_presentation(tmp_path)], k=1)
        model.close()
    content = server.bodies[0]["messages"][0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "[Response 1]: blue" in content[1]["text"] and "[Response 2]: red" in content[1]["text"]
    assert (server.bodies[0]["temperature"], server.bodies[0]["n"]) == (0.0, 1)


def test_gives_up_after_retries_with_a_clear_reason(tmp_path):
    with (server := ScriptedEndpoint(lambda body: web.Response(status=502))) as url:
        model = EndpointModel(url, "r1", media_root=tmp_path, retries=2, backoff_s=0.0)
        (result,) = model.judge([_presentation(tmp_path)], k=1)
        model.close()
    assert len(server.bodies) == 3
    assert (
        isinstance(result, models.Skip) and result.kind == "judge gave up" and "failed after 3 tries" in result.reason
    )


def test_non_json_200_is_retried(tmp_path):
    def reply(body: dict) -> web.Response:
        if len(server.bodies) == 1:
            return web.Response(text="<html>upstream hiccup</html>", content_type="text/html")
        return web.json_response({"choices": [_choice()]})

    with (server := ScriptedEndpoint(reply)) as url:
        model = EndpointModel(url, "r1", media_root=tmp_path, backoff_s=0.0)
        samples = model.judge([_presentation(tmp_path)], k=1)[0]
        model.close()
    assert [s.answer for s in samples] == ["2"] and len(server.bodies) == 2


def test_errors_never_quote_the_servers_reply(tmp_path):
    # a reply without choices that echoes the credentials: the error says what is wrong without quoting it
    with ScriptedEndpoint(lambda body: web.json_response({"choices": [], "error": f"bad key {SECRET}"})) as url:
        model = EndpointModel(url, "r1", media_root=tmp_path, retries=1, backoff_s=0.0)
        (result,) = model.judge([_presentation(tmp_path)], k=1)
        model.close()
    assert "no choices" in result.reason and SECRET not in result.reason


def test_vllm_completion_conversion():
    ids = list(range(len(PIECES)))
    logprob = {p: math.log(0.6 if p == "2" else 0.9) for p in PIECES}
    steps = [{i: SimpleNamespace(logprob=logprob[p], decoded_token=p)} for i, p in enumerate(PIECES)]
    completion = SimpleNamespace(text="".join(PIECES), token_ids=ids, logprobs=steps)
    sample = completion_sample(completion)
    assert (sample.answer, sample.prob) == ("2", pytest.approx(0.6))
    assert completion_sample(SimpleNamespace(text="no verdict", token_ids=[], logprobs=None)).answer is None
