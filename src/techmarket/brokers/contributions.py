"""Contribution records (中介服务贡献积分): when a deal concludes, the brokers who acted
for its parties under their mandates are recorded with their agreed share and the roles
they played; the client rates each; a broker's and an agency's score follow from these by
``rules.score`` (the formula is in the README)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import spreadsheets
from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.accounts.service import OrgNotFound
from techmarket.brokers import repository as repo
from techmarket.brokers import rules
from techmarket.brokers.schemas import ContributionRead, RecordRead
from techmarket.errors import Conflict, NotFound
from techmarket.ledger import service as ledger
from techmarket.models.mandate import Contribution
from techmarket.models.trade import Trade


class BrokerNotFound(NotFound):
    code = "broker_not_found"
    title = "No such broker"


class ContributionNotFound(NotFound):
    code = "contribution_not_found"
    title = "No such contribution"


class ContributionRated(Conflict):
    code = "contribution_rated"
    title = "The client has rated this contribution already"


async def record_deal(
    session: AsyncSession,
    appender: ledger.Appender,
    trade: Trade,
    volume_fen: int,
    now: datetime,
) -> None:
    """The deal ``trade`` has concluded at ``volume_fen`` (sold, the buyer known): record
    the brokers who acted for either party under a mandate of that party, if any, its
    ledger entry staged in the transaction's ``appender`` (written by its owner)."""
    assert trade.buyer_org_id is not None
    acts = await repo.acted_on_trade(session, trade)
    if not acts:  # most deals: no broker; spare the close a query
        return
    found = {m.id: m for m in await repo.mandates(session, sorted({m for m, _, _ in acts}))}
    parties = (trade.seller_org_id, trade.buyer_org_id)
    sides: dict[int, dict[int, tuple[int, set[int]]]] = {}
    roles: dict[int, set[str]] = {}
    served: dict[int, int] = {}  # broker -> the mandate it is recorded under (the first)
    for mandate_id, broker_id, role in acts:
        mandate = found[mandate_id]
        if mandate.client_org_id not in parties:  # e.g. a losing bidder's broker
            continue
        side = sides.setdefault(mandate.client_org_id, {})
        side.setdefault(mandate_id, (mandate.share_pct, set()))[1].add(broker_id)
        roles.setdefault(broker_id, set()).add(role)
        served.setdefault(broker_id, mandate_id)
    shares = rules.shares(sides)
    if not shares:
        return
    rows = [
        Contribution(
            trade_id=trade.id,
            mandate_id=served[broker_id],
            broker_user_id=broker_id,
            agency_org_id=found[served[broker_id]].agency_org_id,
            client_org_id=found[served[broker_id]].client_org_id,
            share_bp=share_bp,
            volume_fen=volume_fen,
            roles=sorted(roles[broker_id]),
            concluded_at=now,
        )
        for broker_id, share_bp in sorted(shares.items())
    ]
    session.add_all(rows)
    await session.flush()
    appender.add(
        "contribution.recorded",
        f"deal/{trade.id}",
        {
            "trade_id": trade.id,
            "volume_fen": volume_fen,
            "contributions": [
                {
                    "contribution_id": c.id,
                    "broker_user_id": c.broker_user_id,
                    "agency_org_id": c.agency_org_id,
                    "mandate_id": c.mandate_id,
                    "share_bp": c.share_bp,
                    "roles": c.roles,
                }
                for c in rows
            ],
        },
        now,
    )


async def rate(
    session: AsyncSession, principal: Principal, contribution_id: int, rating: int, now: datetime
) -> tuple[Contribution, int]:
    """The client's admin rates a broker's part in its deal, once."""
    found = await repo.contribution(session, contribution_id, lock=True)
    if found is None or found.client_org_id != principal.org.id:
        raise ContributionNotFound()
    authorize(principal, Action.contribution_rate, found.client_org_id)
    if found.rating is not None:
        raise ContributionRated()
    found.rating, found.rated_at = rating, now
    index = await ledger.append(
        session,
        "contribution.rated",
        f"deal/{found.trade_id}",
        {"contribution_id": found.id, "trade_id": found.trade_id, "rating": rating},
        now,
    )
    return found, index


def read(c: Contribution) -> ContributionRead:
    return ContributionRead(
        id=c.id,
        trade_id=c.trade_id,
        broker_user_id=c.broker_user_id,
        agency_org_id=c.agency_org_id,
        share_pct=c.share_bp / 100,
        volume_fen=c.volume_fen,
        roles=[rules.Scope(r) for r in c.roles],
        rating=c.rating,
        points=round(rules.points(c.share_bp, c.volume_fen, c.roles, c.rating), 2),
        concluded_at=c.concluded_at,
    )


def _record(
    name: str, agency_org_id: int, agency_name: str, found: list[Contribution]
) -> RecordRead:
    ratings = [c.rating for c in found if c.rating is not None]
    return RecordRead(
        name=name,
        agency_org_id=agency_org_id,
        agency_name=agency_name,
        deals=len({c.trade_id for c in found}),
        volume_fen=sum({c.trade_id: c.volume_fen for c in found}.values()),
        roles=dict(sorted(Counter(r for c in found for r in c.roles).items())),
        average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        score=rules.score((c.share_bp, c.volume_fen, c.roles, c.rating) for c in found),
    )


async def of_broker(session: AsyncSession, user_id: int) -> RecordRead:
    """A broker's public record (anyone may read it)."""
    found = await repo.broker(session, user_id)
    if found is None:
        raise BrokerNotFound()
    user, agency = found
    contributions = await repo.contributions_of(session, broker_user_id=user.id)
    return _record(user.display_name, agency.id, agency.name, contributions)


async def broker_contributions(
    session: AsyncSession, user_id: int, after_id: int | None, limit: int
) -> list[ContributionRead]:
    """A broker's contributions, oldest first (public, as its record)."""
    if await repo.broker(session, user_id) is None:
        raise BrokerNotFound()
    found = await repo.contributions_of(
        session, broker_user_id=user_id, after_id=after_id, limit=limit
    )
    return [read(c) for c in found]


async def of_deal(session: AsyncSession, trade_id: int) -> list[tuple[ContributionRead, str, str]]:
    """Who served a deal (public, as the brokers' records): each contribution with the
    broker's and the agency's names."""
    found = await repo.contributions_of(session, trade_id=trade_id)
    agencies = await repo.names(session, sorted({c.agency_org_id for c in found}))
    served = []
    for c in found:
        broker = await repo.broker(session, c.broker_user_id)
        name = broker[0].display_name if broker else str(c.broker_user_id)
        served.append((read(c), name, agencies.get(c.agency_org_id, "")))
    return served


async def of_agency(session: AsyncSession, org_id: int) -> RecordRead:
    """An agency's public record: its brokers' contributions together."""
    names = await repo.names(session, [org_id])
    if org_id not in names:
        raise OrgNotFound()
    contributions = await repo.contributions_of(session, agency_org_id=org_id)
    return _record(names[org_id], org_id, names[org_id], contributions)


async def export_csv(session: AsyncSession, principal: Principal) -> str:
    """Every broker's record, one row each, for the operator."""
    authorize(principal, Action.contribution_export)
    rows = []
    for user, agency in await repo.all_brokers(session):
        contributions = await repo.contributions_of(session, broker_user_id=user.id)
        r = _record(user.display_name, agency.id, agency.name, contributions)
        rating = None if r.average_rating is None else str(r.average_rating)
        rows.append(
            [user.id, r.name, agency.id, agency.name, r.deals, r.volume_fen,
             *(r.roles.get(s.value, 0) for s in rules.Scope), rating, f"{r.score:.2f}"]
        )  # fmt: skip
    return spreadsheets.csv_text(
        ["broker_user_id", "broker", "agency_org_id", "agency", "deals", "volume_fen",
         *(f"deals_{s.value}" for s in rules.Scope), "average_rating", "score"],
        rows,
    )  # fmt: skip
