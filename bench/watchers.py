"""A process of websocket watchers for the fan-out benchmark (started by bench.bids).

    python -m bench.watchers WS_URL [WS_URL ...] --count N

Connects N watchers spread over the URLs, prints ``ready``, notes when each watcher
receives each ``bid`` (wall clock, comparable with the server's timestamps on this
machine), and on a line ``stop`` on stdin prints, per bid sequence number, how many
watchers received it and when the last one did, as JSON.

The watchers are websockets' sans-I/O protocol under an asyncio Protocol: no task and
no future per message, so the client's own cost stays small beside the server's."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import sys
import time
from collections import defaultdict

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

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


async def main(urls: list[str], count: int) -> None:
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.urls, args.count))
