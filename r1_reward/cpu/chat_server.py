"""OpenAI-style ``/v1/chat/completions`` over an ``HFServer``, bound to 127.0.0.1 only.

This is what makes the ``hf`` rollout usable as a verl-managed judge: verl's reward loop routes reward managers'
HTTP calls to the reward-model servers' addresses.
"""

import asyncio
import socket
import time
import uuid

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

HOST = "127.0.0.1"


class ChatRequest(BaseModel):
    messages: list[dict]
    model: str | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0


def build_app(server) -> FastAPI:
    """FastAPI app answering chat completions with ``server.engine`` through ``server.submit`` (batched)."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest) -> dict:
        max_tokens = body.max_completion_tokens or body.max_tokens or server.config.response_length
        try:
            request = server.engine.chat_request(body.messages, max_tokens, body.temperature, body.top_p)
        except (ValueError, KeyError) as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        result = await server.submit(request)
        text = server.engine.tokenizer.decode(result.token_ids, skip_special_tokens=True)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model or "hf",
            "choices": [{
                "index": 0, "message": {"role": "assistant", "content": text},
                "finish_reason": "stop" if result.stop_reason == "completed" else "length",
            }],
            "usage": {
                "prompt_tokens": len(request.prompt_ids), "completion_tokens": len(result.token_ids),
                "total_tokens": len(request.prompt_ids) + len(result.token_ids),
            },
        }  # fmt: skip

    return app


async def serve(server) -> tuple[str, int]:
    """Start the app on a free loopback port in the running event loop; return (host, port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    config = uvicorn.Config(build_app(server), log_level="warning", lifespan="off")
    uvicorn_server = uvicorn.Server(config)
    server._http_task = asyncio.create_task(uvicorn_server.serve(sockets=[sock]))
    while not uvicorn_server.started:
        if server._http_task.done():
            raise RuntimeError(f"chat server on {HOST} failed to start: {server._http_task.exception()}")
        await asyncio.sleep(0.01)
    return HOST, sock.getsockname()[1]
