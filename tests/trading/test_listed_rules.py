"""The listed-trading rules against a reference model, on random listings and intents:
none → unsold; one → a deal at the listed price; two or more → an auction among exactly
them, from the listed price, for the auction period, starting at the listing's end, or
when the end was handled if that is later."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from techmarket.trading.rules import listed

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
ALIASES = st.lists(st.text("ABCDEFGHJK", min_size=4, max_size=4), unique=True, max_size=5)


def _listing(price: int, minutes: int) -> dict[str, object]:
    return {
        "listed_price_fen": price,
        "deposit_fen": 10_000,
        "listing_ends_at": T0.isoformat(),
        "auction_minutes": minutes,
    }


@given(
    price=st.integers(1, 10**12),
    minutes=st.integers(1, 7 * 24 * 60),
    intents=ALIASES,
    late=st.timedeltas(timedelta(days=-1), timedelta(days=3)),
)
def test_a_listing_ends_as_the_design_says(
    price: int, minutes: int, intents: list[str], late: timedelta
) -> None:
    terms, handled_at = _listing(price, minutes), T0 + late
    outcome = listed.outcome_at_end(len(intents))
    buyer, paid = listed.sale_at_end(terms, intents)

    if not intents:
        assert (outcome, buyer, paid) == ("unsold", None, None)
    elif len(intents) == 1:
        assert (outcome, buyer, paid) == ("sold", intents[0], price)
    else:
        assert (outcome, buyer, paid) == ("auction", None, None)
        auction = listed.auction_terms(terms, handled_at)
        starts = datetime.fromisoformat(auction["starts_at"])
        assert auction["start_price_fen"] == price
        assert datetime.fromisoformat(auction["registration_deadline"]) == T0
        assert starts == max(T0, handled_at)
        assert datetime.fromisoformat(auction["ends_at"]) == starts + timedelta(minutes=minutes)
        assert {k: auction[k] for k in terms} == terms  # the listing's own terms carry over
