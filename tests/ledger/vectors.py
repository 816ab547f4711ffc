"""Loading the public test vectors in testdata/ (copied from upstream; see testdata/README.md)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

TESTDATA = Path(__file__).resolve().parent / "testdata"

# The leaves the RFC 6962 vectors' trees are built from (hex).
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]


def cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    folder = TESTDATA / "rfc6962" / kind
    found = sorted(folder.rglob("*.json"))
    assert found, f"no vectors under {folder}"
    return [(str(p.relative_to(folder)), json.loads(p.read_text())) for p in found]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")
