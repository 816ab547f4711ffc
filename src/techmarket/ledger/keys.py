"""The deployment's ledger signing key: loaded from a file, created on first start."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from techmarket.ledger.note import NoteError, Signer


class LedgerKeyError(RuntimeError):
    pass


def load_or_create(path: Path, name: str) -> Signer:
    """Read the signer key at ``path``; if absent, generate one there (mode 0600).

    Safe when several processes start at once: the file appears atomically, once."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        signer = Signer.generate(name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ledger-key-")
        try:
            os.write(fd, (signer.skey + "\n").encode())
            os.close(fd)
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    try:
        signer = Signer.parse(path.read_text())
    except NoteError as exc:
        raise LedgerKeyError(f"ledger key {path}: {exc}") from None
    if signer.name != name:
        raise LedgerKeyError(
            f"ledger key {path} is named {signer.name!r} but TECHMARKET_LEDGER_ORIGIN is "
            f"{name!r}; checkpoints would not verify"
        )
    return signer
