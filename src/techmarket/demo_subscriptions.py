"""Demo data of subscriptions (需求推送): a chip maker hears of new electronic-information
achievements at once; a clean-energy company gets a daily digest of the achievements
matching its open demands. The universities' TTOs have their standing push as every
institution does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Principal
from techmarket.listings.taxonomy import Industry
from techmarket.models.subscription import Basis, Target
from techmarket.subscriptions import service
from techmarket.subscriptions.schemas import SubscriptionCreate

People = Callable[[AsyncSession, str], Awaitable[Principal]]

SUBSCRIPTIONS = (
    (
        "buyer@xinshi.demo.techmarket.cn",
        SubscriptionCreate(
            name="电子信息类新成果",
            target=Target.achievement,
            industry=Industry.electronic_information,
        ),
    ),
    (
        "buyer@xinshi.demo.techmarket.cn",
        SubscriptionCreate(name="碳化硅器件交易", target=Target.trade, keywords="碳化硅"),
    ),
    (
        "buyer@lvneng.demo.techmarket.cn",
        SubscriptionCreate(
            name="与本公司需求匹配的成果",
            target=Target.achievement,
            basis=Basis.our_demands,
            digest=True,
        ),
    ),
)


async def load(session: AsyncSession, now: datetime, person: People) -> None:
    """The subscriptions, for each organisation that has none yet."""
    for email, data in SUBSCRIPTIONS:
        who = await person(session, email)
        mine = await service.of_org(session, who, None, len(SUBSCRIPTIONS))
        if data.name not in {s.name for s in mine}:
            await service.create(session, who, data, now)
