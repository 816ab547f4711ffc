"""uvicorn for ``techmarket serve``, stopping without losing a bid or an event.

On SIGTERM (or Ctrl-C) uvicorn itself would close every websocket at once with 1012 and
drop the acknowledgements its handlers were about to send. Here the process first stops
listening (new connections go to the other processes), then drains (techmarket.shutdown:
bids at the desk placed and acknowledged, sockets closed 1001 after all they owe), and
only then lets uvicorn finish the requests still running; all of it within the grace
period. What is still open then is cut."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import socket
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from techmarket import shutdown

log = logging.getLogger("techmarket.shutdown")

FRAMES = "techmarket.frames"  # the ASGI scope extension of a socket served by Sockets


class Sockets(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, which also offers each socket's application a way to
    write a frame serialised elsewhere: one trade event is framed once in the process and
    those same bytes go to each of thousands of watchers, straight from the broadcaster,
    without a task woken (and the ASGI send path walked) per socket. That path was the
    fan-out's cost (bench/fanout.py)."""

    async def run_asgi(self) -> None:
        self.scope["extensions"][FRAMES] = {"write": self.write_frame}
        await super().run_asgi()

    def write_frame(self, frame: bytes) -> bool:
        """Write ``frame`` (a server's text frame) if the socket takes one as it is now:
        open, not closing, its buffer not full, no extension (compression) transforming
        frames. Otherwise False, and the caller sends through ASGI, which waits."""
        if self.close_sent or self.disconnected or not self.writable.is_set():
            return False
        if self.conn.state is not State.OPEN or self.conn.extensions:
            return False
        self.transport.write(frame)
        return True


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, grace: float) -> None:
        super().__init__(config)
        self.app, self.grace = app, grace

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace
        for server in self.servers:  # uvicorn would close them later; now, so the
            server.close()  # load balancer and the clients turn to the other processes
        try:
            async with asyncio.timeout_at(deadline):
                await shutdown.drain(self.app)
        except TimeoutError:
            log.warning("not drained within %s s: cutting what is left", self.grace)
        self.config.timeout_graceful_shutdown = max(0, math.floor(deadline - loop.time()))
        await super().shutdown(sockets)


def run(app: FastAPI, config: uvicorn.Config, grace: float) -> None:
    """Serve until SIGTERM or SIGINT, then stop within ``grace`` seconds and exit 0."""
    # uvicorn re-raises the signal it stopped for, once done: with the default handler a
    # SIGTERM would kill the process after its orderly stop (exit status -15, which a
    # service manager may count as a failure).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server = Server(config, app, grace)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, re-raised as uvicorn.run does
        server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the start failed (its reason is logged)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
