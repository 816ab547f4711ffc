"""Administrative division codes (行政区划代码): six digits, province first."""

from __future__ import annotations

PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}
    | {41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)


def validate_region_code(code: str) -> str:
    """Return ``code`` if it is a plausible 6-digit division code, else raise ValueError."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise ValueError("region code must be 6 digits, e.g. 330100")
    if int(code[:2]) not in PROVINCES:
        raise ValueError(f"region code {code} names no province")
    return code
