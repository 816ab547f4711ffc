"""``GET /metrics``: this process's metrics in the Prometheus text format (README
"Metrics"). Each serving process has its own: scrape every one, not the load balancer."""

from __future__ import annotations

import ipaddress
import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from techmarket.config import Network
from techmarket.errors import Forbidden
from techmarket.ledger import repository as ledger
from techmarket.metrics import LEDGER_ENTRIES

log = logging.getLogger("techmarket.metrics")

router = APIRouter(tags=["ops"])


class MetricsNotAllowed(Forbidden):
    code, title = "metrics_not_allowed", "Metrics are not served to this address"


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """This process's metrics, to the networks TECHMARKET_METRICS_NETWORKS lists (to
    anyone if it is unset)."""
    allowed: list[Network] = request.app.state.settings.metrics_networks
    if allowed and not _from(request, allowed):
        raise MetricsNotAllowed()
    await _count_ledger(request)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _from(request: Request, networks: list[Network]) -> bool:
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return any(address in network for network in networks)


async def _count_ledger(request: Request) -> None:
    """The ledger's size, as it stands (every process appends to it)."""
    try:
        async with request.app.state.sessionmaker() as session:
            size, _ = await ledger.read_head(session)
    except Exception:  # the scrape still tells the rest (the pool, the listener)
        log.warning("could not read the ledger's size", exc_info=True)
        return
    LEDGER_ENTRIES.set(size)
