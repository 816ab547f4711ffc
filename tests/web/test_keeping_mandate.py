"""A form's redirect keeps the mandate a broker acts under, so that the page it leads to
is still the client's (the negotiation and the demand's responses, as the auction room)."""

from __future__ import annotations

from datetime import UTC, datetime

from techmarket.accounts.policy import Principal
from techmarket.brokers.rules import Grant, MandateStatus, ObjectKind, Scope
from techmarket.models.org import Organisation, User
from techmarket.web.sessions import keeping_mandate

AT = datetime(2026, 11, 23, tzinfo=UTC)


def _principal(mandate_id: int | None) -> Principal:
    grant = (
        None
        if mandate_id is None
        else Grant(mandate_id, 1, 2, ObjectKind.trade, 3, frozenset({Scope.negotiate}),
                   AT, AT, MandateStatus.accepted)
    )  # fmt: skip
    return Principal(user=User(id=5, org_id=2), org=Organisation(id=1), mandate=grant)


def test_a_brokers_redirect_keeps_its_mandate_before_the_fragment() -> None:
    broker = _principal(7)
    assert keeping_mandate("/demands/4#responses", broker) == "/demands/4?mandate=7#responses"
    assert keeping_mandate("/trades/3/negotiation?ledger=9#thread", broker) == (
        "/trades/3/negotiation?ledger=9&mandate=7#thread"
    )
    assert keeping_mandate("/demands/4#responses", _principal(None)) == "/demands/4#responses"
