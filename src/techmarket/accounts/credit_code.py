"""Unified social credit codes (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CreditCodeError(ValueError):
    pass


def check_character(first17: str) -> str:
    """The 18th character that GB 32100-2015 computes from the first 17."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper-case ``code`` and check it; raise CreditCodeError saying what is wrong."""
    code = code.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(f"must be 18 characters, got {len(code)}")
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise CreditCodeError(f"contains characters not allowed by GB 32100-2015: {''.join(bad)}")
    if not code[2:8].isdigit():
        raise CreditCodeError("characters 3–8 must be an administrative division code")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(f"check character is {code[17]}, expected {expected}")
    return code
