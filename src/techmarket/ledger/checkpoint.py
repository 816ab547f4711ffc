"""C2SP tlog-checkpoint bodies and tlog-proof receipts. No I/O."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from techmarket.ledger.merkle import HASH_SIZE

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class FormatError(ValueError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise FormatError("a checkpoint has an origin, a size and a root hash")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise FormatError(f"bad tree size {size!r}")
        return cls(origin, int(size), _hash(root))


def _hash(encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise FormatError(f"bad base64 hash {encoded!r}") from None
    if len(raw) != HASH_SIZE:
        raise FormatError(f"hash is {len(raw)} bytes, not {HASH_SIZE}")
    return raw


@dataclass(frozen=True)
class TlogProof:
    """An offline-verifiable receipt: index, inclusion proof, signed checkpoint, and the
    entry itself as the opaque ``extra`` data."""

    index: int
    hashes: list[bytes]
    signed_checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.signed_checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        head, sep, note = text.partition("\n\n")
        if not sep:
            raise FormatError("no blank line before the checkpoint")
        lines = head.split("\n")
        if lines[0] != PROOF_HEADER:
            raise FormatError(f"missing header {PROOF_HEADER}")
        lines = lines[1:]
        extra = None
        if lines and lines[0].startswith("extra "):
            try:
                extra = base64.b64decode(lines.pop(0)[6:], validate=True)
            except binascii.Error:
                raise FormatError("bad extra data") from None
        if not lines or not lines[0].startswith("index ") or not lines[0][6:].isdigit():
            raise FormatError("missing index line")
        index = int(lines.pop(0)[6:])
        return cls(index, [_hash(h) for h in lines], note, extra)
