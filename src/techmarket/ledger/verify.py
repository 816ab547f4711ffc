"""Offline verification of a ledger export: encodings, chain, Merkle root, signatures,
consistency with an earlier checkpoint, and the business rules. Needs only the log's
public key; shares the pure core with the server and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import rfc8785

from techmarket.ledger import merkle
from techmarket.ledger.canonical import GENESIS_PREV, MalformedEntry, decode_entry
from techmarket.ledger.checkpoint import Checkpoint, FormatError, TlogProof
from techmarket.ledger.note import NoteError, Verifier, open_note
from techmarket.ledger.replay import RuleBook, RuleViolation


class VerificationFailed(Exception):
    """The first thing found wrong; ``index`` is the entry it concerns, if any."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message if index is None else f"entry {index}: {message}")
        self.index = index
        self.message = message


@dataclass
class Summary:
    entries: int
    root: bytes
    checkpoint: Checkpoint
    checkpoint_note: str  # the signed note, for the auditor to save
    earlier: Checkpoint | None
    event_types: dict[str, int] = field(default_factory=dict)


def signed_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    try:
        return Checkpoint.parse(open_note(note, verifier))
    except (NoteError, FormatError) as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None


def export_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of an export arriving in chunks, split at ``\n`` only. JSON leaves
    U+2028, U+2029 and U+0085 unescaped in an entry's text, and generic line iterators
    (``str.splitlines``, httpx's ``iter_lines``) would cut the entry there."""
    rest = b""
    for chunk in chunks:
        *lines, rest = (rest + chunk).split(b"\n")
        yield from lines
    if rest:
        yield rest


def _records(lines: Iterable[str | bytes], tail: list[str]) -> Iterator[dict[str, Any]]:
    """Entry records of an export, one by one; the final checkpoint goes into ``tail``."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if tail:
            raise VerificationFailed(f"line {number}: data after the checkpoint")
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise VerificationFailed(f"line {number}: not JSON") from None
        if isinstance(record, dict) and set(record) == {"checkpoint"}:
            tail.append(str(record["checkpoint"]))
        else:
            yield record


def verify_export(
    lines: Iterable[str | bytes],
    verifier: Verifier,
    *,
    earlier_note: str | None = None,
    rule_books: Iterable[RuleBook] = (),
    on_entry: Callable[[int], None] | None = None,
) -> Summary:
    """Check every entry of an export (JSON Lines, then its signed checkpoint) as it
    streams by; raise VerificationFailed at the first problem. ``earlier_note`` is a
    checkpoint the auditor saved before: the log must still extend it."""
    tail: list[str] = []
    return verify_records(
        _records(lines, tail),
        tail,
        verifier,
        earlier_note=earlier_note,
        rule_books=rule_books,
        on_entry=on_entry,
    )


def verify_records(
    records: Iterable[dict[str, Any]],
    tail: list[str],
    verifier: Verifier,
    *,
    earlier_note: str | None = None,
    rule_books: Iterable[RuleBook] = (),
    on_entry: Callable[[int], None] | None = None,
) -> Summary:
    """``verify_export`` on entry records (``{"index", "canonical", "leaf_hash"}``) however
    they were read; ``tail`` holds the signed checkpoint once the records are exhausted."""
    earlier = signed_checkpoint(earlier_note, verifier) if earlier_note else None
    books = list(rule_books)
    frontier = merkle.Frontier()
    prev = GENESIS_PREV
    counts: dict[str, int] = {}
    for position, record in enumerate(records):
        body, leaf = _check_entry(position, record, prev)
        prev = record["leaf_hash"]
        frontier.add(leaf)
        if earlier and frontier.size == earlier.size and frontier.root() != earlier.root:
            raise VerificationFailed(
                f"entries 0…{position} do not match the checkpoint saved earlier "
                f"(size {earlier.size}): history was rewritten",
                position,
            )
        counts[body["type"]] = counts.get(body["type"], 0) + 1
        with _business_rules():
            for book in books:
                if body["type"].startswith(book.families):
                    book.feed(position, body)
        if on_entry:
            on_entry(position)
    if not tail:
        raise VerificationFailed("the export has no checkpoint line (truncated?)")
    final = signed_checkpoint(tail[0], verifier)
    if earlier is not None and earlier.origin != final.origin:
        raise VerificationFailed("the earlier checkpoint is of another log")
    if earlier is not None and earlier.size > final.size:
        raise VerificationFailed(
            f"the log shrank: saved checkpoint has {earlier.size} entries, now {final.size}"
        )
    if frontier.size != final.size:
        raise VerificationFailed(
            f"the export holds {frontier.size} entries but its checkpoint says {final.size}",
            min(frontier.size, final.size),
        )
    if frontier.root() != final.root:
        raise VerificationFailed("the Merkle root does not match the signed checkpoint")
    with _business_rules():
        for book in books:
            book.finish()
    return Summary(frontier.size, frontier.root(), final, tail[0], earlier, counts)


def _check_entry(position: int, record: dict[str, Any], prev: str) -> tuple[dict[str, Any], bytes]:
    """The entry's body and leaf hash, once everything about it checks out."""
    try:
        index, text, leaf = record["index"], record["canonical"], record["leaf_hash"]
    except (KeyError, TypeError):
        raise VerificationFailed("record lacks index, canonical or leaf_hash", position) from None
    if index != position:
        raise VerificationFailed(
            f"expected entry {position} here, found entry {index}: an entry was removed, "
            "inserted or moved",
            position,
        )
    raw = text.encode()
    try:
        body = decode_entry(raw)
    except MalformedEntry as exc:
        raise VerificationFailed(str(exc), position) from None
    if not _reference_canonical(body, raw):
        raise VerificationFailed("encoding is not RFC 8785 canonical", position)
    if body["index"] != position:
        raise VerificationFailed(f"body says index {body['index']}", position)
    if body["prev"] != prev:
        raise VerificationFailed("prev does not match the previous entry's leaf hash", position)
    computed = merkle.leaf_hash(raw)
    if computed.hex() != leaf:
        raise VerificationFailed("leaf hash does not match the entry's bytes", position)
    return body, computed


def _reference_canonical(body: dict[str, Any], raw: bytes) -> bool:
    """Whether ``raw`` is ``body``'s encoding by the reference RFC 8785 implementation:
    judged apart from the writer's fast path (``canonical.py``), so that a fault there
    cannot verify against itself."""
    try:
        return bool(rfc8785.dumps(body) == raw)
    except (rfc8785.CanonicalizationError, ValueError):
        return False


@contextmanager
def _business_rules() -> Iterator[None]:
    try:
        yield
    except RuleViolation as exc:
        raise VerificationFailed(f"business rule: {exc.message}", exc.index) from None


@dataclass
class VerifiedReceipt:
    index: int
    entry: dict[str, Any]
    checkpoint: Checkpoint


def verify_receipt(text: str, verifier: Verifier) -> VerifiedReceipt:
    """Check a receipt offline: signature, entry bytes, inclusion in the signed tree."""
    try:
        proof = TlogProof.parse(text)
    except FormatError as exc:
        raise VerificationFailed(f"receipt: {exc}") from None
    checkpoint = signed_checkpoint(proof.signed_checkpoint, verifier)
    if proof.extra is None:
        raise VerificationFailed("receipt carries no entry", proof.index)
    try:
        body = decode_entry(proof.extra)
        merkle.verify_inclusion(
            proof.index,
            checkpoint.size,
            merkle.leaf_hash(proof.extra),
            proof.hashes,
            checkpoint.root,
        )
    except (MalformedEntry, merkle.ProofError) as exc:
        raise VerificationFailed(str(exc), proof.index) from None
    if body["index"] != proof.index:
        raise VerificationFailed(f"entry says index {body['index']}", proof.index)
    return VerifiedReceipt(proof.index, body, checkpoint)
