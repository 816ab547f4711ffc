"""Turning what people type into what the API's schemas read: amounts in yuan to fen,
lists typed on one line (or one per line) to lists, Beijing time to aware UTC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from techmarket.listings.importer import split_list
from techmarket.web.display import SHANGHAI

_CURRENCY = str.maketrans("", "", ",，¥￥ ")


def fen(text: str | None) -> int | str | None:
    """``1,234,567.89`` (yuan) → 123456789 fen; empty → None. Anything else is returned as
    typed, so that the schema refuses it next to its field."""
    if text is None:
        return None
    try:
        amount = Decimal(text.translate(_CURRENCY))
    except InvalidOperation:
        return text
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not isinstance(exponent, int) or exponent < -2:
        return text
    return int(amount * 100)


def yuan_text(amount_fen: int | None) -> str | None:
    """The value an amount field shows again: ``1234567.89`` (no symbol, no separators)."""
    if amount_fen is None:
        return None
    whole, cents = divmod(amount_fen, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)


def items(text: str | None) -> list[str]:
    """Items separated by ；、; or | (as in the bulk import), or one per line."""
    return split_list((text or "").replace("\r", "").replace("\n", ";"))


def beijing_time(text: str | None) -> datetime | str | None:
    """A time typed in Beijing time (``2026-12-31T18:00``, as <input type=datetime-local>
    sends it) as an aware datetime; anything else as typed, for the schema to refuse."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def beijing_text(at: datetime) -> str:
    """The value a datetime-local field shows again."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
