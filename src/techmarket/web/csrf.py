"""Cross-site request forgery protection for every form of the web pages.

A form carries ``csrf_token`` = HMAC-SHA256(server secret, binding), where the binding is
the browser's session token when signed in, or else a random nonce in a cookie of its own
(signed double submit: for anonymous forms such as the login). A site that cannot read
our cookies cannot compute the token, and cannot plant one without the server secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from fastapi import Request, Response

from techmarket.accounts.service import SESSION_COOKIE
from techmarket.errors import Forbidden

__all__ = ["SESSION_COOKIE"]  # sessions.py takes it from here, with the other cookie
NONCE_COOKIE = "tm_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"  # for the pages' own scripts
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Forbidden):
    code = "csrf_rejected"
    title = "The form expired or did not come from this site"


def load_or_create_key(path: Path) -> bytes:
    """The deployment's secret (32 random bytes, hex) at ``path``, created on first start
    (mode 0600, atomically: several processes may start at once and must share it)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session-key-")
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode())
            os.close(fd)
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return bytes.fromhex(path.read_text().strip())


def _binding(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(NONCE_COOKIE)


def _mac(request: Request, binding: str) -> str:
    key: bytes = request.app.state.session_key
    return hmac.new(key, b"csrf\0" + binding.encode(), hashlib.sha256).hexdigest()


def token(request: Request) -> str:
    """The token for forms on this page; starts an anonymous binding when there is none
    (``remember_nonce`` then sets its cookie on the response)."""
    binding = _binding(request) or getattr(request.state, "csrf_nonce", None)
    if binding is None:
        binding = request.state.csrf_nonce = secrets.token_urlsafe(32)
    return _mac(request, binding)


def https(request: Request) -> bool:
    return request.url.scheme == "https"


def remember_nonce(request: Request, response: Response) -> None:
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce is not None:
        response.set_cookie(
            NONCE_COOKIE, nonce, httponly=True, samesite="lax", secure=https(request), path="/"
        )


async def protect(request: Request) -> None:
    """Refuse an unsafe request to a page unless it carries this browser's token."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(HEADER)
    if sent is None:
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    binding = _binding(request)
    if not (sent and binding and hmac.compare_digest(sent, _mac(request, binding))):
        raise CsrfRejected()
