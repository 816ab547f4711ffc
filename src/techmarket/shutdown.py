"""A serving process's stop (SIGTERM) that loses nothing: it takes no new bids, places
and acknowledges those it holds, then closes every websocket with 1001 ("going away") so
that its clients resume on another process. ``techmarket.server`` runs it before uvicorn
shuts the connections down."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from fastapi import FastAPI, Request

from techmarket.errors import DomainError

log = logging.getLogger("techmarket.shutdown")


class GoingAway(DomainError):
    """A bid that reached a stopping process: not placed; sent again (with the same
    idempotency key) it reaches another."""

    code, status, title = "going_away", 503, "This process is stopping"

    def __init__(self) -> None:
        super().__init__("this process is stopping: send the bid again, with the same key")
        self.headers["Connection"] = "close"  # the retry opens a connection elsewhere


class Leaver(Protocol):
    async def leave(self) -> None:
        """Answer what is in hand, send what is due, then close (the process stops)."""


class Stopping:
    """Whether the process stops, and the live sockets that must leave when it does."""

    def __init__(self) -> None:
        self.begun = asyncio.Event()
        self._sockets: dict[Leaver, asyncio.Task[None] | None] = {}
        self._none_left = asyncio.Event()
        self._none_left.set()

    def join(self, socket: Leaver) -> None:
        """A socket opens; if the stop has begun, it leaves at once."""
        self._sockets[socket] = asyncio.create_task(socket.leave()) if self.begun.is_set() else None
        self._none_left.clear()

    def left(self, socket: Leaver) -> None:
        """The socket has closed (or sent its close)."""
        if (leaving := self._sockets.pop(socket, None)) is not None:
            leaving.cancel()  # it ended on its own (the client went, or its sender)
        if not self._sockets:
            self._none_left.set()

    @property
    def sockets(self) -> int:
        return len(self._sockets)

    def begin(self) -> None:
        self.begun.set()
        for socket, leaving in self._sockets.items():
            if leaving is None:
                self._sockets[socket] = asyncio.create_task(socket.leave())

    async def all_left(self) -> None:
        await self._none_left.wait()


async def drain(app: FastAPI) -> None:
    """Take no new bids; place and answer those queued at the desk and the one in hand on
    each socket; return once every socket has sent what it owes and closed."""
    stopping: Stopping = app.state.stopping
    sockets = stopping.sockets
    stopping.begin()
    await app.state.desk.drain()
    await stopping.all_left()
    log.info("drained: the desk's bids placed and answered, %d sockets closed", sockets)


async def taking_bids(request: Request) -> None:
    """Refuse an HTTP bid once the process stops (a dependency of the bid route)."""
    if request.app.state.stopping.begun.is_set():
        raise GoingAway()
