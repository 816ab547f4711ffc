"""Sending one webhook: a JSON body signed as the Standard Webhooks spec says
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``
over ``id.timestamp.body`` with the endpoint's secret), to an address that may be reached."""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

from techmarket.delivery.rules import Outcome, Status, public_address
from techmarket.models.notification import Notification

TIMEOUT = httpx.Timeout(10.0)
RESOLVE_TIMEOUT = 5.0  # seconds to find a host's addresses
SECRET_BYTES = 24


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def body(notification: Notification, link: str) -> bytes:
    """What the endpoint receives: the same bytes on every attempt."""
    n = notification
    return orjson.dumps(
        {
            "type": f"notification.{n.kind}",
            "timestamp": n.created_at.isoformat(),
            "data": {
                "kind": n.kind,
                "subject": n.subject,
                "title": n.title,
                "body": n.body,
                "link": link,
                "reasons": n.reasons,
                "ledger_index": n.ledger_index,
            },
        }
    )


def signed_headers(secret: str, webhook_id: str, at: datetime, content: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, content.decode()),
    }


class Unreachable(Exception):
    """The URL's host may not be reached from here (or cannot be found)."""


async def check_reachable(url: str, allow_private: bool) -> None:
    """Refuse a URL other than http(s), or whose host resolves to a loopback, private or
    otherwise non-public address unless ``allow_private``."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not a port number
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise Unreachable("only http:// and https:// addresses, with a port if any")
    if allow_private:
        return
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            found = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, port, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError, UnicodeError) as exc:  # UnicodeError: not a host name
        raise Unreachable(f"{parts.hostname} cannot be resolved") from exc
    for *_, address in found:
        if not public_address(str(address[0])):
            raise Unreachable(f"{parts.hostname} is a loopback or private address")


async def send(
    http: httpx.AsyncClient,
    url: str,
    secret: str,
    webhook_id: str,
    at: datetime,
    content: bytes,
    allow_private: bool,
) -> Outcome:
    """POST the signed body: a 2xx is delivered; anything else is tried again."""
    try:
        # checked again at each attempt: a name may point elsewhere since registration
        await check_reachable(url, allow_private)
    except Unreachable as exc:
        return Outcome(Status.pending, error=str(exc), final=True)
    try:
        response = await http.post(
            url, content=content, headers=signed_headers(secret, webhook_id, at, content)
        )
    except httpx.HTTPError as exc:
        return Outcome(Status.pending, error=f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return Outcome(Status.sent, response.status_code)
    return Outcome(Status.pending, response.status_code, f"HTTP {response.status_code}")
