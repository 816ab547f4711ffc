"""Request and response shapes for organisations, users and auth."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from techmarket.accounts.credit_code import normalise
from techmarket.accounts.passwords import weakness
from techmarket.models.org import OrgKind, OrgStatus, Role
from techmarket.regions import validate_region_code
from techmarket.types import Line, Patch, Text

RegionCode = Annotated[Line, AfterValidator(validate_region_code)]
DisplayName = Annotated[Line, Field(min_length=1, max_length=100)]


def _lower(email: str) -> str:
    return email.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]


def strong_password(password: str, info: ValidationInfo) -> str:
    """Refuse common, patterned passwords and those made of the user's own email or name
    (the fields declared before the password)."""
    known = [str(v) for k, v in info.data.items() if k in ("email", "display_name")]
    hints = [*known, *(part for value in known for part in re.split(r"[@.\s]+", value) if part)]
    reason = weakness(password, hints)
    if reason is not None:
        raise PydanticCustomError(
            "weak_password", "password is too easy to guess: {reason}", {"reason": reason}
        )
    return password


Password = Annotated[Line, Field(min_length=10, max_length=128), AfterValidator(strong_password)]

# Kinds anyone may register publicly; operators are created with the CLI.
REGISTRABLE_KINDS = frozenset(OrgKind) - {OrgKind.operator}


class UserCreate(BaseModel):
    email: Email
    display_name: DisplayName
    password: Password
    roles: list[Role] = Field(default_factory=lambda: [Role.member], min_length=1)


class AdminCreate(BaseModel):
    email: Email
    display_name: DisplayName
    password: Password


class OrgCreate(BaseModel):
    name: Line = Field(min_length=2, max_length=200)
    kind: OrgKind
    region_code: RegionCode
    credit_code: Line = Field(description="统一社会信用代码, 18 characters with check character")
    admin: AdminCreate

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, code: str) -> str:
        return normalise(code)

    @field_validator("kind")
    @classmethod
    def _registrable(cls, kind: OrgKind) -> OrgKind:
        if kind not in REGISTRABLE_KINDS:
            raise ValueError("operator organisations are created by the platform, not registered")
        return kind


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrgKind
    region_code: str
    credit_code: str
    status: OrgStatus
    status_reason: str | None
    created_at: datetime
    reviewed_at: datetime | None


class OrgReviewed(OrgRead):
    ledger_index: int = Field(description="index of the ledger entry recording this review")


class OrgReview(BaseModel):
    reason: Text | None = Field(default=None, max_length=2000)


class OrgReviewWithReason(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    email: str
    display_name: str
    roles: list[Role]
    is_active: bool
    created_at: datetime


class UserUpdate(BaseModel):
    """Fields left out keep their value."""

    display_name: Patch[DisplayName] = None
    roles: Patch[Annotated[list[Role], Field(min_length=1)]] = None
    is_active: Patch[bool] = None


class Registration(BaseModel):
    org: OrgRead
    admin: UserRead


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (OAuth2 token type, not a secret)
    expires_at: datetime


class MeRead(BaseModel):
    user: UserRead
    org: OrgRead
