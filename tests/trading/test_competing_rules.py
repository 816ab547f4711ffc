"""The pure rules of competing offers: who opens the auction, at what price, on which
terms, and which offers are high enough."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from techmarket.trading.rules import competing

AT = datetime(2026, 11, 23, 8, tzinfo=UTC)
OFFERS = st.lists(
    st.tuples(st.text("ABCDEFGH", min_size=4, max_size=4), st.integers(1, 50)),
    min_size=1,
    max_size=8,
    unique_by=lambda offer: offer[0],
)


@given(OFFERS)
def test_the_highest_offer_opens_and_the_earliest_of_equals_leads(
    offers: list[tuple[str, int]],
) -> None:
    alias, price = competing.opening(offers)
    top = max(p for _, p in offers)
    assert price == top
    assert alias == next(a for a, p in offers if p == top)


@given(OFFERS, st.text("ABCDEFGH", min_size=5, max_size=5))
def test_only_the_buyer_and_the_competitors_take_part(
    offers: list[tuple[str, int]], buyer: str
) -> None:
    assert competing.participants(buyer, offers) == sorted({buyer, *(a for a, _ in offers)})


def test_an_offer_must_be_above_the_agreed_price() -> None:
    assert competing.offer_error(900_000, 900_001) is None
    assert competing.offer_error(900_000, 900_000) is not None
    assert competing.offer_error(900_000, 1) is not None


def test_the_terms_follow_from_the_agreed_price_and_the_settings() -> None:
    announced = competing.competition(
        900_001,
        deposit_percent=10,
        increment_percent=1,
        auction_period=timedelta(days=1),
        signing_period=timedelta(days=30),
    )
    assert announced == {
        "deposit_fen": 90_001,  # rounded up to whole fen
        "increment_fen": 9_001,
        "auction_period": "P1D",
        "extension_seconds": 300,
        "signing_period": "P30D",
    }
    terms = competing.auction_terms(announced, 900_001, [("AAAA", 950_000), ("BBBB", 990_000)], AT)
    assert (terms["start_price_fen"], terms["agreed_price_fen"]) == (990_000, 900_001)
    assert (terms["starts_at"], terms["registration_deadline"], terms["ends_at"]) == (
        "2026-11-23T08:00:00Z",
        "2026-11-23T08:00:00Z",
        "2026-11-24T08:00:00Z",
    )


def test_the_notice_converts_only_with_a_competing_offer() -> None:
    assert competing.outcome_at_notice_end(0) == "concluded"
    assert competing.outcome_at_notice_end(1) == "auction"
