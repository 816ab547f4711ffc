"""Every table, imported here so that ``Base.metadata`` is complete."""

from techmarket.models.org import (
    AccessToken,
    LoginFailure,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)

__all__ = [
    "AccessToken",
    "LoginFailure",
    "OrgKind",
    "OrgStatus",
    "Organisation",
    "Role",
    "User",
]
