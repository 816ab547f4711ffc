"""Demo data: verified organisations and users with known logins. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts import repository as repo
from techmarket.accounts.credit_code import check_character
from techmarket.accounts.service import hash_password
from techmarket.models.org import Organisation, OrgKind, OrgStatus, Role, User

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
        "浙江创新技术经纪服务有限公司",
        OrgKind.agency,
        "330100",
        "91330100MA2J00003",
        (("broker@jingji.demo.techmarket.cn", "技术经纪人 吴芳", (Role.admin, Role.broker)),),
    ),
    DemoOrg(
        "浙江天衡审计事务所",
        OrgKind.auditor,
        "330100",
        "91330100MA2K00004",
        (("auditor@tianheng.demo.techmarket.cn", "审计师 郑伟", (Role.admin,)),),
    ),
)


async def load(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> list[tuple[str, str, str]]:
    """Create whatever demo organisations and users are missing; return (org, email, roles)."""
    logins: list[tuple[str, str, str]] = []
    async with sessionmaker.begin() as session:
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
                            password_hash=hash_password(DEMO_PASSWORD),
                            roles=sorted(r.value for r in roles),
                            is_active=True,
                            created_at=now,
                        )
                    )
                logins.append((spec.name, email, ",".join(sorted(roles))))
    return logins
