"""How values are shown to people: yuan from fen, Beijing time, query-keeping page links."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from starlette.datastructures import URL

SHANGHAI = ZoneInfo("Asia/Shanghai")


def yuan(fen: int | None, missing: str = "—") -> str:
    """``¥1,234,567.89`` from integer fen (exact: no float on the way)."""
    if fen is None:
        return missing
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


# 亿 (10⁸ yuan) and 万 (10⁴ yuan), in fen: the units Chinese readers take amounts in.
_UNITS = ((10**10, "亿"), (10**6, "万"))


def yuan_short(fen: int) -> str:
    """``¥4.95亿``, ``¥1,800万``, ``¥6,800``: an amount at a glance, to two decimals of
    its unit (rounded half up, exactly); ``yuan`` gives it to the fen."""
    for unit, name in _UNITS:
        if abs(fen) >= unit:
            amount = (Decimal(fen) / unit).quantize(Decimal("0.01"), ROUND_HALF_UP)
            return f"{'-' if fen < 0 else ''}¥{abs(amount).normalize():,f}{name}"
    whole, cents = divmod(abs(fen), 100)
    return yuan(fen) if cents else f"{'-' if fen < 0 else ''}¥{whole:,}"


def local_time(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware UTC time as read in China (Asia/Shanghai)."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        raise ValueError("naive datetime: every time in techmarket is aware UTC")
    return at.astimezone(SHANGHAI).strftime(fmt)


def local_date(at: datetime | None) -> str:
    return local_time(at, "%Y-%m-%d")


def time_left(until: datetime | None, now: datetime) -> str:
    """What remains of a period, to the two largest units: ``14 天 3 小时``, ``2 分 5 秒``."""
    if until is None:
        return "—"
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return "已到期"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分"), (seconds, "秒")]
    while parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n} {unit}" for n, unit in parts[:2] if n)


def page_url(url: URL, cursor: str | None) -> str:
    """The same page and query, at another cursor (``None``: the first page)."""
    moved = (
        url.remove_query_params("cursor")
        if cursor is None
        else url.include_query_params(cursor=cursor)
    )
    return moved.path + (f"?{moved.query}" if moved.query else "")
