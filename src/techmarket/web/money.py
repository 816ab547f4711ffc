"""Money as people type it on a page: yuan, to integer fen (exact: no float on the way)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError


def fen_from_yuan(value: object) -> object:
    """``1,234.5`` or ``¥1234.50`` yuan → 123450 fen; at most two decimals. Anything else
    is passed on for the schema to refuse (an int typed in stays yuan)."""
    if isinstance(value, int):
        return value * 100
    if not isinstance(value, str):
        return value
    text = value.strip().replace(",", "").replace("，", "").lstrip("¥￥")
    try:
        amount = Decimal(text)
        exact = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # not a number, or too large to hold in fen
        exact = False
    if not exact:
        raise PydanticCustomError("yuan_parsing", "an amount in yuan, at most two decimals")
    return int(amount * 100)


# Fen from a yuan field: non-negative (a search bound) or positive (a price).
YuanBound = Annotated[int, BeforeValidator(fen_from_yuan), Field(ge=0, le=10**15)]
YuanPrice = Annotated[int, BeforeValidator(fen_from_yuan), Field(gt=0, le=10**15)]
