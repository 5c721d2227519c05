"""The project's one web-server stack: an ``aiohttp.web`` app on 127.0.0.1 in the running event loop.

Used by the misbehaving loopback judge (:mod:`r1_reward.testing.loopback_judge`: fault tests, benchmarks) and by the CPU
rollout's chat-completions server (:mod:`r1_reward.cpu.chat_server`); ``ServedInThread`` serves the fakes that
synchronous callers talk to (:mod:`r1_reward.testing`); the client side is :mod:`r1_reward.openai_chat`.
Binding only the loopback address keeps these servers off every other interface.
"""

import asyncio
import threading

from aiohttp import web

HOST = "127.0.0.1"


async def start_app(app: web.Application, port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``HOST:port`` (0: a free port); returns the runner (``await runner.cleanup()`` stops it)
    and the bound port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


class ServedInThread:
    """``with ServedInThread(app) as base_url:`` serves ``app`` on ``HOST`` from an event loop in a thread of its
    own, so a synchronous caller (a CLI in this process or a child process) can talk to it; ``base_url`` is
    ``http://127.0.0.1:<port>/v1``. Leaving the block stops the loop and cleans the server up."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()

    def __enter__(self) -> str:
        self._runner, port = self._loop.run_until_complete(start_app(self.app))
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return f"http://{HOST}:{port}/v1"

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()
