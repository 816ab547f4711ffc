"""Chinese patent application numbers (专利申请号) and their check character.

Current form (from 2003): 12 digits — year (4), type (1), serial (7) — a dot and a check
character: the digits weighted 2,3,4,5,6,7,8,9,2,3,4,5, summed, modulo 11; 10 is ``X``.
The older form has 8 digits — year (2), type (1), serial (5) — weighted 2…9.
``ZL``/``CN`` prefixes and spaces are accepted.
"""

from __future__ import annotations

import re

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_SHAPE = re.compile(r"^(?:ZL|CN)?(\d{12}|\d{8})\.?([0-9X])$")


class PatentNumberError(ValueError):
    pass


def check_character(digits: str) -> str:
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if total == 10 else str(total)


def normalise(number: str) -> str:
    """``ZL 2023 1 0123456.6`` → ``202310123456.6``; raise PatentNumberError if invalid."""
    compact = re.sub(r"\s+", "", number).upper()
    match = _SHAPE.match(compact)
    if not match:
        raise PatentNumberError(
            f"{number!r} is not a CN application number (12 or 8 digits, a dot, a check "
            "character; ZL/CN prefix optional)"
        )
    digits, given = match.groups()
    kind = digits[4] if len(digits) == 12 else digits[2]
    if kind not in "12389":  # invention, utility model, design, PCT invention, PCT utility
        raise PatentNumberError(f"{number!r}: unknown application type {kind}")
    expected = check_character(digits)
    if given != expected:
        raise PatentNumberError(f"{number!r}: check character is {given}, expected {expected}")
    return f"{digits}.{expected}"
