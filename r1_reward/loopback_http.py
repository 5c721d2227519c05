"""The project's one web-server stack: an ``aiohttp.web`` app on 127.0.0.1 in the running event loop.

Used by the misbehaving loopback judge (:mod:`r1_reward.testing.loopback_judge`: fault tests, benchmarks) and by the CPU
rollout's chat-completions server (:mod:`r1_reward.cpu.chat_server`); the client side is :mod:`r1_reward.openai_chat`.
Binding only the loopback address keeps these servers off every other interface.
"""

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
