"""OpenAI-style ``/v1/chat/completions`` over an ``HFServer``, bound to 127.0.0.1 only (the project's one web-server
stack, :mod:`r1_reward.loopback_http`).

This is what makes the ``hf`` rollout usable as a verl-managed judge: verl's reward loop routes reward managers'
HTTP calls to the reward-model servers' addresses.
"""

import time
import uuid
from typing import Any

from aiohttp import web

from r1_reward.loopback_http import HOST, start_app


def _completion(body: dict[str, Any], request, result, text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or "hf",
        "choices": [{
            "index": 0, "message": {"role": "assistant", "content": text},
            "finish_reason": "stop" if result.stop_reason == "completed" else "length",
        }],
        "usage": {
            "prompt_tokens": len(request.prompt_ids), "completion_tokens": len(result.token_ids),
            "total_tokens": len(request.prompt_ids) + len(result.token_ids),
        },
    }  # fmt: skip


def build_app(server) -> web.Application:
    """App answering chat completions with ``server.engine`` through ``server.submit`` (batched)."""

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def chat(http_request: web.Request) -> web.Response:
        try:
            body = await http_request.json()
            max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or server.config.response_length
            request = server.engine.chat_request(
                body["messages"], int(max_tokens), float(body.get("temperature", 1.0)), float(body.get("top_p", 1.0))
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return web.json_response({"detail": f"{type(error).__name__}: {error}"}, status=400)
        result = await server.submit(request)
        text = server.engine.tokenizer.decode(result.token_ids, skip_special_tokens=True)
        return web.json_response(_completion(body, request, result, text))

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat)
    return app


async def serve(server) -> tuple[str, int]:
    """Start the app on a free loopback port in the running event loop; return (host, port)."""
    server._http_runner, port = await start_app(build_app(server))
    return HOST, port
