"""Public, read-only ledger API for auditors and participants.

The ledger holds no secrets (reserve prices, negotiation offers and priority-right holders
only as commitments until they become public, bidders only as aliases), so every route
here is open to anyone."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.ledger import repository as repo
from techmarket.ledger import service
from techmarket.ledger.note import Signer
from techmarket.ledger.schemas import (
    ConsistencyProof,
    EntryList,
    EntryRead,
    InclusionProof,
)
from techmarket.ledger.tile_cache import TileCache
from techmarket.types import Count

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

NonNegative = Annotated[Count, Query(ge=0)]
Positive = Annotated[Count, Query(ge=1)]
TilePath = Annotated[str, Path(pattern=r"^[0-9a-z./]{1,64}$")]  # spelled out in ledger/tiles.py


def _signer(request: Request) -> tuple[Signer, str]:
    return request.app.state.ledger_signer, request.app.state.settings.ledger_origin


def _tiles(request: Request) -> TileCache:
    return request.app.state.ledger_tiles  # type: ignore[no-any-return]


# Full tiles never change; a partial tile is replaced by a wider one as the log grows, and
# the checkpoint moves with every append (C2SP tlog-tiles: cache it a few seconds at most).
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=5"


@router.get("/checkpoint", response_class=PlainTextResponse)
async def get_checkpoint(request: Request, response: Response, session: Session, now: Now) -> str:
    """The signed checkpoint (C2SP tlog-checkpoint) of the current tree; also the tiled
    log's ``<prefix>/checkpoint``."""
    signer, origin = _signer(request)
    response.headers["Cache-Control"] = SHORT_LIVED
    return (await service.checkpoint(session, signer, origin, now)).signed_note


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}},
)
async def get_tile(path: TilePath, request: Request, session: Session) -> Response:
    """C2SP tlog-tiles: ``tile/<L>/<N>[.p/<W>]`` (hashes) and ``tile/entries/<N>[.p/<W>]``
    (the entries' canonical bytes, each after its length as a big-endian uint16)."""
    tile, body = await service.tile(session, _tiles(request), path)
    headers = {"Cache-Control": IMMUTABLE if tile.full else SHORT_LIVED}
    if tile.level is None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            # the fastest level: a bundle shrinks 4× all the same, and a CDN keeps the result
            body = gzip.compress(body, compresslevel=1, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get("/public-key", response_class=PlainTextResponse)
async def public_key(request: Request) -> str:
    """The checkpoint verifier key (C2SP signed-note verifier key format)."""
    return _signer(request)[0].vkey + "\n"


@router.get("/entries", response_model=EntryList)
async def list_entries(
    session: Session,
    start: NonNegative = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EntryList:
    return EntryList(entries=[EntryRead.of(e) for e in await repo.entries(session, start, limit)])


@router.get("/entries/{index}", response_model=EntryRead)
async def get_entry(index: Count, session: Session) -> EntryRead:
    return EntryRead.of(await service.get_entry(session, index))


@router.get("/proofs/inclusion", response_model=InclusionProof)
async def inclusion_proof(
    request: Request, session: Session, index: NonNegative, tree_size: Positive
) -> InclusionProof:
    hashes = await service.inclusion_proof(session, _tiles(request), index, tree_size)
    return InclusionProof(index=index, tree_size=tree_size, hashes=[h.hex() for h in hashes])


@router.get("/proofs/consistency", response_model=ConsistencyProof)
async def consistency_proof(
    request: Request, session: Session, first: Positive, second: Positive
) -> ConsistencyProof:
    hashes = await service.consistency_proof(session, _tiles(request), first, second)
    return ConsistencyProof(first=first, second=second, hashes=[h.hex() for h in hashes])


@router.get("/receipts/{index}", response_class=PlainTextResponse)
async def receipt(index: Count, request: Request, session: Session, now: Now) -> str:
    """A self-contained receipt (C2SP tlog-proof, the entry as ``extra``) that verifies
    offline with the public key: ``techmarket ledger verify-receipt``."""
    signer, origin = _signer(request)
    return (await service.receipt(session, _tiles(request), signer, origin, index, now)).text()


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def export_ledger(request: Request, session: Session, now: Now) -> StreamingResponse:
    """The whole log as JSON Lines, one entry per line, then ``{"checkpoint": …}`` for
    exactly the entries above it."""
    signer, origin = _signer(request)
    signed = await service.checkpoint(session, signer, origin, now)
    sessionmaker = request.app.state.sessionmaker

    async def lines() -> AsyncIterator[bytes]:
        async with sessionmaker() as reader:
            async for entry in repo.stream_entries(reader, signed.tree_size):
                yield EntryRead.of(entry).model_dump_json().encode() + b"\n"
        yield json.dumps({"checkpoint": signed.signed_note}).encode() + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
