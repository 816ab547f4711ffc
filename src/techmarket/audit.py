"""The rule books an auditor replays the ledger with, handed to the offline verifier
(``ledger.verify.verify_export``). Imports no database code: the verifier runs offline."""

from __future__ import annotations

from techmarket.accounts.replay import OrgReviews
from techmarket.ledger.replay import RuleBook
from techmarket.trading.express_replay import ExpressLicences
from techmarket.trading.replay import Agreements, Auctions


def rule_books() -> list[RuleBook]:
    """A fresh rule book of each domain whose events the ledger holds."""
    return [OrgReviews(), Auctions(), Agreements(), ExpressLicences()]
