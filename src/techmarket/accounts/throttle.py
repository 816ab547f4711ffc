"""How long a client must wait before its next login attempt. Pure rules, no I/O.

Failures are counted per client address, and per account from that address: never per
account alone, so nobody can lock an account's owner out by failing to log in as them."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

FIRST_DELAY = timedelta(seconds=1)


def client_key(host: str | None) -> str:
    """The address failures are counted against. An IPv6 client usually holds its whole /64
    network, so that network is one address; an IPv4-mapped IPv6 address is its IPv4 one."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an IP address (e.g. a Unix socket peer)
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def wait(
    failures: int, latest: datetime | None, free: int, max_delay: timedelta, now: datetime
) -> timedelta:
    """The wait left before another attempt, after ``failures`` recent failures (the latest
    at ``latest``): none for the first ``free`` of them, then one second after the latest,
    doubling with each further failure, at most ``max_delay``."""
    excess = failures - free
    if excess < 0 or latest is None:
        return timedelta(0)
    doublings: int = min(excess, 40)  # 2**40 seconds is longer than any configured maximum
    delay = min(FIRST_DELAY * (1 << doublings), max_delay)
    return max(latest + delay - now, timedelta(0))
