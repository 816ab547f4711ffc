"""The rule books an auditor replays the ledger with, handed to the offline verifier
(``ledger.verify.verify_export``). Imports no database code: the verifier runs offline."""

from __future__ import annotations

from techmarket.accounts.replay import OrgReviews
from techmarket.agencies.replay import AgencyProfiles
from techmarket.brokers.replay import Mandates
from techmarket.ledger.replay import RuleBook
from techmarket.poc.replay import PocProjects
from techmarket.trading.express_replay import ExpressLicences
from techmarket.trading.payments.replay import Payments
from techmarket.trading.replay import Agreements, Auctions


def rule_books() -> list[RuleBook]:
    """A fresh rule book of each domain whose events the ledger holds."""
    # Agreements before Auctions: a conversion is checked before the auction adopts it.
    return [
        OrgReviews(),
        Agreements(),
        Auctions(),
        Payments(),
        AgencyProfiles(),
        PocProjects(),
        Mandates(),
        ExpressLicences(),
    ]
