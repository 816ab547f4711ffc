"""Who is told of a mandate's steps: the other side of each (the agency of an offer, the
client of an acceptance, whichever side did not revoke it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action
from techmarket.brokers.rules import MandateStatus
from techmarket.models.mandate import Mandate
from techmarket.models.org import Organisation
from techmarket.notify import audience
from techmarket.notify.audience import Message, drafts
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind


async def _tell(
    session: AsyncSession,
    index: int,
    mandate_id: int,
    to_agency: bool,
    title: str,
    body: str,
    action: Action,
    *,
    while_offered: bool = False,
) -> Sequence[Draft]:
    mandate = await session.get(Mandate, mandate_id)
    if mandate is None or (while_offered and mandate.status != MandateStatus.offered):
        return []  # (an offer answered before the feed told it awaits no one)
    org_id = mandate.agency_org_id if to_agency else mandate.client_org_id
    other = await session.get(
        Organisation, mandate.client_org_id if to_agency else mandate.agency_org_id
    )
    who = other.name if other else ""
    message = Message(
        Kind.mandate, f"mandate/{mandate.id}", title, body.format(who=who), "/my/mandates"
    )
    users = await audience.of_orgs(session, [org_id], audience.may(action, org_id))
    return drafts(message, users, index)


async def offered(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The agency's administrators, who accept it."""
    body = f"「{{who}}」向贵机构提出委托（#{data['mandate_id']}），请查看并接受。"
    return await _tell(
        session,
        index,
        data["mandate_id"],
        True,
        "收到新的委托",
        body,
        Action.mandate_accept,
        while_offered=True,
    )


async def accepted(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    body = f"「{{who}}」已接受委托 #{data['mandate_id']}，其经纪人现可代为办理。"
    return await _tell(
        session, index, data["mandate_id"], False, "委托已被接受", body, Action.mandate_read
    )


async def revoked(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    body = f"「{{who}}」已撤销委托 #{data['mandate_id']}。"
    return await _tell(
        session,
        index,
        data["mandate_id"],
        data["by"] == "client",
        "委托已被撤销",
        body,
        Action.mandate_read,
    )
