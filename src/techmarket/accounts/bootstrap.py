"""Creating the first platform operator (from the CLI, never by a default password)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts import repository as repo
from techmarket.accounts import service
from techmarket.accounts.credit_code import CreditCodeError, normalise
from techmarket.accounts.schemas import AdminCreate
from techmarket.clock import SystemClock
from techmarket.errors import DomainError
from techmarket.models.org import Organisation, OrgKind, OrgStatus
from techmarket.regions import validate_region_code


class BootstrapError(Exception):
    pass


async def create_operator(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    email: str,
    display_name: str,
    password: str,
    org_name: str,
    credit_code: str,
    region_code: str,
) -> None:
    """Create (or reuse) a verified operator organisation and add an administrator to it."""
    try:
        admin = AdminCreate(email=email, display_name=display_name, password=password)
        credit_code = normalise(credit_code)
        validate_region_code(region_code)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BootstrapError(f"invalid operator: {details}") from None
    except (CreditCodeError, ValueError) as exc:
        raise BootstrapError(f"invalid operator organisation: {exc}") from None
    now = SystemClock().now()
    try:
        async with sessionmaker.begin() as session:
            org = await repo.find_org_by_name(session, org_name)
            if org is None:
                org = Organisation(
                    name=org_name,
                    kind=OrgKind.operator,
                    region_code=region_code,
                    credit_code=credit_code,
                    status=OrgStatus.verified,
                    created_at=now,
                    reviewed_at=now,
                )
                session.add(org)
                await session.flush()
            elif org.kind != OrgKind.operator:
                raise BootstrapError(f"{org_name} exists and is not an operator organisation")
            await service.add_admin(session, org, admin, now)
    except DomainError as exc:
        raise BootstrapError(exc.detail) from None
