"""The two ends of the fan-out benchmark's sockets (started by bench.fanout).

    python -m bench.watchers watch WS_URL [WS_URL ...] --count N
    python -m bench.watchers floor DATABASE_URL

``watch`` connects N watchers spread over the URLs, prints ``ready``, notes when each
watcher receives each ``bid`` (wall clock, comparable with the server's timestamps on
this machine), and on a line ``stop`` on stdin prints, per bid sequence number, how many
watchers received it and when the last one did, as JSON. The watchers are websockets'
sans-I/O protocol under an asyncio Protocol: no task and no future per message, so the
client's own cost stays small beside the server's.

``floor`` is this machine's floor for a serving process: it prints ``port P``, accepts
watchers there (websocket handshake, a snapshot), listens on the service's channel as a
serving process does and, at each notification, writes each message's websocket frame
(the same bytes a server sends) to every socket with a plain ``socket.send``: no
framework, no task, no per-socket encoding. At end of stdin it prints the CPU seconds
it spent per notification (``cpu S``) and stops."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import socket
import sys
import threading
import time
from collections import defaultdict

import asyncpg
import uvloop
from sqlalchemy import make_url
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from techmarket.trading import broadcast

BID_SEQ = re.compile(rb'{"type":"bid","seq":(\d+)')

last: dict[int, float] = {}
received: dict[int, int] = defaultdict(int)


class Watcher(asyncio.Protocol):
    def __init__(self, url: str, connected: asyncio.Semaphore) -> None:
        self.ws = ClientProtocol(parse_uri(url))
        self.connected = connected
        self.snapshot_seen = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.ws.send_request(self.ws.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        arrived = time.time()
        for event in self.ws.events_received():
            if not isinstance(event, Frame) or event.opcode != Opcode.TEXT:
                continue
            if not self.snapshot_seen:
                self.snapshot_seen = True
                self.connected.release()
            elif found := BID_SEQ.match(event.data):
                seq = int(found.group(1))
                last[seq] = arrived
                received[seq] += 1
        self.flush()  # pongs and such

    def flush(self) -> None:
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)


async def watch(urls: list[str], count: int) -> None:
    loop = asyncio.get_running_loop()
    connected = asyncio.Semaphore(0)
    transports = []
    for i in range(count):
        uri = parse_uri(urls[i % len(urls)])
        transport, _ = await loop.create_connection(
            lambda i=i: Watcher(urls[i % len(urls)], connected), uri.host, uri.port
        )
        transports.append(transport)
    for _ in range(count):
        await connected.acquire()
    gc.disable()  # a short-lived client: no collector pauses in what it measures
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    for transport in transports:
        transport.close()
    print(json.dumps({seq: [received[seq], at] for seq, at in last.items()}), flush=True)


def _accept(server: socket.socket, sockets: list[socket.socket]) -> None:
    """Take each watcher through the handshake (on a thread of its own: blocking sockets)
    and add its socket to ``sockets``."""
    while True:
        sock, _ = server.accept()
        ws = ServerProtocol()
        while not (requests := [e for e in ws.events_received() if isinstance(e, Request)]):
            ws.receive_data(sock.recv(65536))
        ws.send_response(ws.accept(requests[0]))
        ws.send_text(b'{"type":"snapshot"}')
        sock.sendall(b"".join(ws.data_to_send()))
        sock.setblocking(False)  # as a server's sockets are
        sockets.append(sock)


async def floor(database_url: str) -> None:
    sockets: list[socket.socket] = []
    server = socket.create_server(("127.0.0.1", 0), backlog=4096)
    threading.Thread(target=_accept, args=(server, sockets), daemon=True).start()

    cpu: list[float] = []  # seconds per notification, as techmarket_broadcast_delivery_cpu

    def send(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        started = time.thread_time()
        for group in json.loads(payload):
            for msg in group["messages"]:
                frame = Frame(Opcode.TEXT, broadcast.encode(msg).encode()).serialize(mask=False)
                for sock in sockets:
                    sent = sock.send(frame)
                    assert sent == len(frame), "a watcher's socket buffer is full"
        if sockets:
            cpu.append(time.thread_time() - started)

    dsn = make_url(database_url).set(drivername="postgresql")
    listener = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    await listener.add_listener(broadcast.CHANNEL, send)
    print(f"port {server.getsockname()[1]}", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await listener.close()
    print(f"cpu {sum(cpu) / max(1, len(cpu))}", flush=True)  # seconds per notification


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    modes = parser.add_subparsers(dest="mode", required=True)
    watching = modes.add_parser("watch")
    watching.add_argument("urls", nargs="+")
    watching.add_argument("--count", type=int, required=True)
    flooring = modes.add_parser("floor")
    flooring.add_argument("database_url")
    args = parser.parse_args()
    if args.mode == "watch":
        asyncio.run(watch(args.urls, args.count))
    else:
        uvloop.run(floor(args.database_url))  # the event loop uvicorn serves with
