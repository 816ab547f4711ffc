"""Agreement pricing rules (协议定价): pure, no I/O; the service and the ledger replay use them.

Seller and named buyer exchange offers; one side accepts the other's latest offer; the
agreed price then stands on public notice (公示) for the deployment's notice period; any
verified organisation may object; the deal concludes when the period has run in full with
no objection upheld and none still open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from techmarket import periods


def counterparty(seller_org_id: int, buyer_org_id: int, org_id: int) -> int | None:
    """The other side of the negotiation, or None for an organisation not in it."""
    if org_id == seller_org_id:
        return buyer_org_id
    if org_id == buyer_org_id:
        return seller_org_id
    return None


def acceptance_error(last_offer_org_id: int | None, accepting_org_id: int) -> str | None:
    """Why ``accepting_org_id`` may not accept now, or None if it may."""
    if last_offer_org_id is None:
        return "there is no offer to accept"
    if last_offer_org_id == accepting_org_id:
        return "an organisation cannot accept its own offer"
    return None


def notice_end(accepted_at: datetime, notice_period: timedelta) -> datetime:
    return accepted_at + notice_period


def notice_period(notice_opened: dict[str, Any]) -> timedelta:
    """The period a ``trade.notice_opened`` entry announced (entries written before
    periods were durations gave whole days)."""
    if "notice_period" in notice_opened:
        return periods.parse(notice_opened["notice_period"])
    return timedelta(days=notice_opened["notice_days"])


def may_object(notice_ends_at: datetime | None, now: datetime) -> bool:
    """Objections are raised while the notice runs."""
    return notice_ends_at is not None and now < notice_ends_at


def may_conclude(notice_ends_at: datetime, now: datetime, objections: list[str]) -> bool:
    """The notice ran in full, nothing was upheld and nothing awaits a ruling."""
    return now >= notice_ends_at and not any(o in ("raised", "upheld") for o in objections)
