"""The replay of organisations: a registration (pending review) comes first and once."""

from typing import Any

import pytest

from techmarket.accounts.replay import OrgReviews
from techmarket.ledger.replay import RuleViolation

REGISTERED = {
    "type": "org.registered",
    "data": {"org_id": 7, "kind": "enterprise", "to": "pending"},
}
VERIFIED = {"type": "org.verified", "data": {"org_id": 7, "from": "pending", "to": "verified"}}


def test_a_registration_then_its_review_replays() -> None:
    book = OrgReviews()
    book.feed(0, REGISTERED)
    book.feed(1, VERIFIED)


@pytest.mark.parametrize("entries", [[REGISTERED, REGISTERED], [REGISTERED, VERIFIED, REGISTERED]])
def test_a_second_registration_is_reported(entries: list[dict[str, Any]]) -> None:
    book = OrgReviews()
    with pytest.raises(RuleViolation, match="registered twice"):
        for index, entry in enumerate(entries):
            book.feed(index, entry)
