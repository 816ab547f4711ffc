"""Demo data: verified organisations and users with known logins. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import (
    demo_agency,
    demo_brokers,
    demo_express,
    demo_listings,
    demo_poc,
    demo_subscriptions,
)
from techmarket.accounts import repository as repo
from techmarket.accounts.credit_code import check_character
from techmarket.accounts.passwords import hash_password
from techmarket.accounts.policy import Principal
from techmarket.clock import FixedClock
from techmarket.config import get_settings
from techmarket.listings import achievements, demands
from techmarket.listings import repository as listings
from techmarket.listings.patent_numbers import check_character as patent_check
from techmarket.listings.schemas import AchievementCreate, DemandCreate
from techmarket.listings.taxonomy import IpType
from techmarket.models.listing import Achievement, AchievementStatus, Demand
from techmarket.models.org import Organisation, OrgKind, OrgStatus, Role, User
from techmarket.notify import feed
from techmarket.trading import agreements, lifecycle
from techmarket.trading.schemas import AuctionCreate, ListedCreate

# Demo data only: printed at start so a person can log in; never a default login.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoOrg:
    name: str
    kind: OrgKind
    region_code: str
    credit_base: str  # first 17 characters; the check character is computed
    users: tuple[tuple[str, str, tuple[Role, ...]], ...]  # email, display name, roles


ORGS = (
    DemoOrg(
        "技术市场平台运营中心",
        OrgKind.operator,
        "330000",
        "12330000MB0000001",
        (("operator@demo.techmarket.cn", "平台运营 王敏", (Role.admin,)),),
    ),
    DemoOrg(
        "浙江大学",
        OrgKind.university,
        "330100",
        "12330000470003281",
        (
            ("admin@zju.demo.techmarket.cn", "浙大管理员 李华", (Role.admin,)),
            ("tto@zju.demo.techmarket.cn", "成果转化办公室 陈静", (Role.tto,)),
            ("prof@zju.demo.techmarket.cn", "张教授", (Role.member,)),
        ),
    ),
    DemoOrg(
        "中国科学院宁波材料技术与工程研究所",
        OrgKind.institute,
        "330200",
        "12100000717850432",
        (
            ("admin@nimte.demo.techmarket.cn", "材料所管理员 周强", (Role.admin, Role.tto)),
            ("researcher@nimte.demo.techmarket.cn", "刘研究员", (Role.member,)),
        ),
    ),
    DemoOrg(
        "浙江工业大学",
        OrgKind.university,
        "330110",
        "12330000470003363",
        (
            ("admin@zjut.demo.techmarket.cn", "浙工大管理员 钱伟", (Role.admin,)),
            ("tto@zjut.demo.techmarket.cn", "浙工大转化办 冯丽", (Role.tto,)),
        ),
    ),
    DemoOrg(
        "宁波大学",
        OrgKind.university,
        "330212",
        "12330200419520005",
        (("admin@nbu.demo.techmarket.cn", "宁大管理员 褚亮", (Role.admin, Role.tto)),),
    ),
    DemoOrg(
        "温州医科大学",
        OrgKind.university,
        "330302",
        "12330300470310002",
        (("admin@wmu.demo.techmarket.cn", "温医大管理员 蒋敏", (Role.admin, Role.tto)),),
    ),
    DemoOrg(
        "杭州未来智造科技有限公司",
        OrgKind.enterprise,
        "330106",
        "91330106MA2C00001",
        (("buyer@weilai.demo.techmarket.cn", "未来智造 赵总", (Role.admin,)),),
    ),
    DemoOrg(
        "宁波海瑞新材料有限公司",
        OrgKind.enterprise,
        "330212",
        "91330212MA2H00002",
        (("buyer@hairui.demo.techmarket.cn", "海瑞新材 孙经理", (Role.admin,)),),
    ),
    DemoOrg(
        "嘉兴绿能新能源科技有限公司",
        OrgKind.enterprise,
        "330402",
        "91330402MA2L00005",
        (("buyer@lvneng.demo.techmarket.cn", "绿能科技 韩总", (Role.admin,)),),
    ),
    DemoOrg(
        "苏州康泰医疗器械有限公司",
        OrgKind.enterprise,
        "320506",
        "91320506MA1M00006",
        (("buyer@kangtai.demo.techmarket.cn", "康泰医疗 杨经理", (Role.admin,)),),
    ),
    DemoOrg(
        "深圳芯视微电子有限公司",
        OrgKind.enterprise,
        "440305",
        "91440300MA5N00007",
        (("buyer@xinshi.demo.techmarket.cn", "芯视微电子 朱总", (Role.admin,)),),
    ),
    DemoOrg(
        "浙江创新技术经纪服务有限公司",
        OrgKind.agency,
        "330100",
        "91330100MA2J00003",
        (("broker@jingji.demo.techmarket.cn", "技术经纪人 吴芳", (Role.admin, Role.broker)),),
    ),
    DemoOrg(
        "杭州知联知识产权服务有限公司",
        OrgKind.agency,
        "330106",
        "91330106MA2P00008",
        (("ip@zhilian.demo.techmarket.cn", "知识产权经纪人 陈静", (Role.admin, Role.broker)),),
    ),
    DemoOrg(
        "浙江省新材料概念验证中心",
        OrgKind.poc_centre,
        "330200",
        "12330200MB2P00007",
        (("admin@poc.demo.techmarket.cn", "概念验证中心 何晓", (Role.admin,)),),
    ),
    DemoOrg(
        "浙江天衡审计事务所",
        OrgKind.auditor,
        "330100",
        "91330100MA2K00004",
        (("auditor@tianheng.demo.techmarket.cn", "审计师 郑伟", (Role.admin,)),),
    ),
    *(DemoOrg(*spec) for spec in demo_brokers.AGENCIES),
)


# Its presence marks a database that holds the demo.
DEMO_OPERATOR = ORGS[0].users[0][0]

UNSAFE_FLAG = "--unsafe-demo-on-database-url"


class DemoRefused(Exception):
    """Demo data would go where real accounts are, or may be."""


def refuse_database_url(on_database_url: bool, allowed: bool) -> None:
    """The demo's logins, an operator's among them, have a published password: they go into
    the embedded database, not the TECHMARKET_DATABASE_URL one, unless explicitly allowed."""
    if on_database_url and not allowed:
        raise DemoRefused(
            "demo data (logins with a published password, an operator's among them) is "
            "loaded only into the embedded database; TECHMARKET_DATABASE_URL is set. "
            f"For a throw-away database there, pass {UNSAFE_FLAG}."
        )


async def load(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    on_database_url: bool,
    allow_database_url: bool = False,
) -> list[tuple[str, str, str]]:
    """Create whatever demo data is missing; return the logins (org, email, roles).

    Only into a database without accounts, or one that holds the demo already (so a demo
    may be restarted and played with); see ``refuse_database_url`` for the other condition."""
    refuse_database_url(on_database_url, allow_database_url)
    logins = await _organisations(sessionmaker, now)
    async with sessionmaker.begin() as session:
        await _listings(session, now)
        await demo_poc.load(session, now)
    await feed.catch_up(sessionmaker, FixedClock(now))
    return logins


async def _organisations(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    demo_hash = await hash_password(DEMO_PASSWORD)  # one hash for every demo user
    async with sessionmaker.begin() as session:
        if await repo.has_users(session) and not await repo.find_user_by_email(
            session, DEMO_OPERATOR
        ):
            raise DemoRefused(
                "this database has accounts of its own: demo data, with its published "
                "passwords, goes only into a new database or one that holds the demo already"
            )
        for spec in ORGS:
            org = await repo.find_org_by_name(session, spec.name)
            if org is None:
                org = Organisation(
                    name=spec.name,
                    kind=spec.kind,
                    region_code=spec.region_code,
                    credit_code=spec.credit_base + check_character(spec.credit_base),
                    status=OrgStatus.verified,
                    created_at=now,
                    reviewed_at=now,
                )
                session.add(org)
                await session.flush()
            for email, display_name, roles in spec.users:
                if await repo.find_user_by_email(session, email) is None:
                    session.add(
                        User(
                            org_id=org.id,
                            email=email,
                            display_name=display_name,
                            password_hash=demo_hash,
                            roles=sorted(r.value for r in roles),
                            is_active=True,
                            created_at=now,
                        )
                    )
                logins.append((spec.name, email, ",".join(sorted(roles))))
    return logins


# Who lists achievements (a member, and the TTO who approves) and who posts demands.
LISTERS = (
    ("prof@zju.demo.techmarket.cn", "tto@zju.demo.techmarket.cn"),
    ("researcher@nimte.demo.techmarket.cn", "admin@nimte.demo.techmarket.cn"),
    ("admin@zjut.demo.techmarket.cn", "tto@zjut.demo.techmarket.cn"),
    ("admin@nbu.demo.techmarket.cn", "admin@nbu.demo.techmarket.cn"),
    ("admin@wmu.demo.techmarket.cn", "admin@wmu.demo.techmarket.cn"),
)
DEMAND_POSTERS = (
    "buyer@weilai.demo.techmarket.cn",
    "buyer@hairui.demo.techmarket.cn",
    "buyer@lvneng.demo.techmarket.cn",
    "buyer@kangtai.demo.techmarket.cn",
    "buyer@xinshi.demo.techmarket.cn",
)


async def _principal(session: AsyncSession, email: str) -> Principal:
    user = await repo.find_user_by_email(session, email)
    assert user is not None, email
    org = await repo.get_org(session, user.org_id)
    assert org is not None
    return Principal(user=user, org=org)


def _patent_number(serial: int, ip_type: IpType) -> list[str]:
    kind = {IpType.invention_patent: "1", IpType.utility_model: "2"}.get(ip_type)
    if kind is None:
        return []
    digits = f"2024{kind}{serial:07d}"
    return [f"{digits}.{patent_check(digits)}"]


async def _listings(session: AsyncSession, now: datetime) -> None:
    """The demo catalogue, published through the same services people use (so it has
    its history and ledger entries), skipping titles that exist already."""
    existing = await listings.titles(session, Achievement)
    for i, item in enumerate(demo_listings.achievements()):
        if item.title in existing:
            continue
        member_email, tto_email = LISTERS[i % len(LISTERS)]
        member = await _principal(session, member_email)
        data = AchievementCreate(
            title=item.title,
            summary=item.summary,
            ip_type=item.ip_type,
            patent_numbers=_patent_number(i, item.ip_type),
            industry=item.industry,
            region_code=item.region_code,
            trl=item.trl,
            transfer_modes=item.transfer_modes,
            asking_price_fen=item.asking_price_fen,
            inventors=[member.user.display_name],
            keywords=item.keywords,
        )
        created = await achievements.create(session, member, data, now)
        submitted, _ = await achievements.submit(session, member, created.id, now)
        if submitted.status == AchievementStatus.pending_approval:
            await achievements.approve(
                session, await _principal(session, tto_email), created.id, now
            )
    existing = await listings.titles(session, Demand)
    for i, want in enumerate(demo_listings.demands()):
        if want.title in existing:
            continue
        poster = await _principal(session, DEMAND_POSTERS[i % len(DEMAND_POSTERS)])
        demand = await demands.create(
            session,
            poster,
            DemandCreate(
                title=want.title,
                description=want.description,
                industry=want.industry,
                region_code=want.region_code,
                budget_max_fen=want.budget_max_fen,
                deadline=now + timedelta(days=60 + i * 2),
                cooperation_mode=want.cooperation_mode,
                is_challenge=want.is_challenge,
                reward_fen=want.budget_max_fen // 10 if want.is_challenge else None,
            ),
            now,
        )
        await demands.publish(session, poster, demand.id, now)
    await _live_auction(session, now)
    await _other_trades(session, now)
    await demo_agency.load(session, now, _principal, LISTERS, DEMAND_POSTERS)
    await demo_brokers.load(session, now)
    await demo_express.load(session, now, _principal)
    await demo_subscriptions.load(session, now, _principal)


LIVE_AUCTION_TITLE = demo_listings.achievements()[0].title
AGREEMENT_TITLE = demo_listings.achievements()[5].title  # a ZJU achievement
LISTED_TITLE = demo_listings.achievements()[1].title  # a NIMTE achievement


async def _published(session: AsyncSession, title: str) -> Achievement | None:
    found = await listings.achievement_by_title(session, title)
    return found if found.status == AchievementStatus.published else None


async def _other_trades(session: AsyncSession, now: datetime) -> None:
    """An agreement on public notice and a listing with one intent, unless under way."""
    if (listed := await _published(session, AGREEMENT_TITLE)) is not None:
        seller = await _principal(session, LISTERS[0][0])
        buyer = await _principal(session, DEMAND_POSTERS[0])
        trade, _ = await agreements.create(
            session, seller, listed.id, buyer.org.id, 80_000_000, now
        )
        await lifecycle.approve(session, await _principal(session, LISTERS[0][1]), trade.id, now)
        await agreements.offer(session, seller, trade.id, 80_000_000, "首次报价", now)
        await agreements.offer(session, buyer, trade.id, 68_000_000, "还价", now)
        await agreements.accept(session, seller, trade.id, get_settings(), now)
    if (listed := await _published(session, LISTED_TITLE)) is not None:
        seller = await _principal(session, LISTERS[1][0])
        trade, _ = await lifecycle.create(
            session,
            seller,
            ListedCreate(
                achievement_id=listed.id,
                mode="listed",
                listed_price_fen=50_000_000,
                deposit_fen=5_000_000,
                listing_ends_at=now + timedelta(days=7),
                increment_fen=1_000_000,
            ),
            get_settings().signing_period,
            now,
        )
        await lifecycle.approve(session, await _principal(session, LISTERS[1][1]), trade.id, now)
        await lifecycle.register(
            session, await _principal(session, DEMAND_POSTERS[1]), trade.id, now
        )


async def _live_auction(session: AsyncSession, now: datetime) -> None:
    """An auction a person can watch and bid on with the demo logins (ending two days
    after the demo was loaded), unless one is already under way."""
    listed = await listings.achievement_by_title(session, LIVE_AUCTION_TITLE)
    if listed.status != AchievementStatus.published:
        return
    seller = await _principal(session, LISTERS[0][0])
    trade, _ = await lifecycle.create(
        session,
        seller,
        AuctionCreate(
            achievement_id=listed.id,
            start_price_fen=1_000_000_00,
            increment_fen=5_000_00,
            reserve_fen=1_200_000_00,
            deposit_fen=100_000_00,
            registration_deadline=now + timedelta(days=2),
            starts_at=now,
            ends_at=now + timedelta(days=2),
        ),
        get_settings().signing_period,
        now,
    )
    await lifecycle.approve(session, await _principal(session, LISTERS[0][1]), trade.id, now)
    for email in DEMAND_POSTERS[:3]:
        await lifecycle.register(session, await _principal(session, email), trade.id, now)
