"""Real servers in the test process: an SMTP server (aiosmtpd) and an HTTP receiver of
webhooks that verifies them as README "Webhooks" tells a receiver to."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

TOLERANCE = 300  # seconds a webhook's timestamp may be off the receiver's clock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def verify(secret: str, headers: dict[str, str], body: bytes, now: int) -> bool:
    """The receiver's check (README "Webhooks"): a fresh timestamp, and a v1 signature
    that is HMAC-SHA256(secret, id.timestamp.body)."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    secret: str
    now: Callable[[], int]
    received: list[Received] = field(default_factory=list)

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]


@contextmanager
def webhook_receiver(
    port: int,
    secret: str,
    now: Callable[[], int],
    arrived: Callable[[], None] = lambda: None,
    hold: threading.Event | None = None,
) -> Iterator[Receiver]:
    """Answers 204 to a verified request, 400 to any other; calls ``arrived`` on each
    request and, given ``hold``, answers only once it is set (a slow receiver)."""
    receiver = Receiver(secret, now)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = verify(receiver.secret, headers, body, receiver.now())
            receiver.received.append(Received(headers, body, ok))
            arrived()
            if hold is not None:
                hold.wait()
            self.send_response(204 if ok else 400)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if hold is not None:
            hold.set()
        server.shutdown()
        server.server_close()
        thread.join()
