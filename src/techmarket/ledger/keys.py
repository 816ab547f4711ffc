"""The deployment's ledger signing key: loaded from a file, created on first start."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.ledger import repository as repo
from techmarket.ledger.note import NoteError, Signer, Verifier, open_note

log = logging.getLogger("techmarket.ledger")


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


async def check_signed_latest(session: AsyncSession, signer: Signer, path: Path) -> None:
    """Refuse a key that did not sign the latest stored checkpoint: with it, a process
    would sign checkpoints that auditors holding the ledger's public key reject (a
    restored database with another deployment's key, or processes given different keys)."""
    latest = await repo.latest_checkpoint(session)
    if latest is None:
        return
    try:
        open_note(latest.signed_note, Verifier.parse(signer.vkey))
    except NoteError:
        refusal = LedgerKeyError(
            f"the ledger signing key {path} ({signer.vkey}) did not sign the latest "
            f"checkpoint (tree size {latest.tree_size}): give this process "
            "the key that signed its ledger (`techmarket restore` restores it from a backup "
            "made with --with-key)"
        )
        log.critical("refusing to start: %s", refusal)  # one line, before the traceback
        raise refusal from None
