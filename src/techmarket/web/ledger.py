"""The ledger explorer for auditors and anyone: the signed checkpoint, the entries, one
entry with its proof and receipt, and how to verify it all offline."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.ledger import repository as repo
from techmarket.ledger import service
from techmarket.ledger.note import Signer
from techmarket.pagination import decode_cursor, encode_cursor
from techmarket.types import Count
from techmarket.web.templating import render

router = APIRouter()

PAGE = 50
# Where the page of each kind of ledger subject lives.
SUBJECT_PAGES = {
    "trade": "/trades",
    "achievement": "/achievements",
    "org": "/orgs",
    "demand": "/demands",
    "poc_centre": "/poc/centres",
}

# What each kind of entry records, in Chinese (the type itself is shown beside it).
EVENT_LABELS = {
    "org.registered": "机构注册，待认证",
    "org.verified": "机构通过认证",
    "org.rejected": "机构认证未通过",
    "org.suspended": "机构被暂停",
    "achievement.submitted": "成果提交内部审批",
    "achievement.approved": "成果通过内部审批",
    "achievement.published": "成果发布",
    "achievement.withdrawn": "成果撤回或下架",
    "demand.published": "需求发布",
    "response.accepted": "揭榜方案被采纳",
    "trade.opened": "交易开始",
    "trade.submitted": "交易提交内部审批",
    "trade.approved": "交易通过内部审批",
    "trade.rejected": "交易未获批准",
    "trade.registered": "报名竞买",
    "trade.deposit": "保证金变动",
    "trade.bid_accepted": "出价被接受",
    "trade.extended": "竞价延时",
    "trade.closed": "竞价结束",
    # A listing with several intents, or a notice with competing offers.
    "trade.converted": "转为竞价拍卖",
    "trade.competing_offer": "竞争报价",
    "trade.offer": "议价报价",
    "trade.accepted": "接受报价",
    "trade.notice_opened": "成交公示",
    "trade.objection_raised": "提出异议",
    "trade.objection_resolved": "异议裁定",
    "trade.cancelled": "交易取消",
    "trade.concluded": "协议成交",
    "trade.defaulted": "买方违约",
    "trade.contract_recorded": "合同登记",
    "trade.contract_registered": "合同认定登记",
    "trade.withdrawn": "卖方撤回交易",
    "trade.ended": "结束谈判",
    "poc.centre_profile": "概念验证中心简介",
    "poc.funding_line": "概念验证资金渠道",
    "poc.applied": "申请概念验证",
    "poc.screened": "概念验证项目遴选",
    "poc.planned": "概念验证计划",
    "poc.milestone_judged": "里程碑结论",
    "poc.closed": "概念验证结题",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type)


def subject_url(subject: str) -> str | None:
    """``trade/12`` → ``/trades/12``; None for a subject with no page."""
    kind, _, number = subject.partition("/")
    base = SUBJECT_PAGES.get(kind)
    return f"{base}/{number}" if base and number.isdigit() else None


def receipt_filename(index: int) -> str:
    return f"techmarket-receipt-{index}.tlog-proof"


def _signer(request: Request) -> tuple[Signer, str]:
    return request.app.state.ledger_signer, request.app.state.settings.ledger_origin


@router.get("/ledger")
async def explorer(
    request: Request,
    session: Session,
    now: Now,
    cursor: str | None = None,
    start: Count | None = None,
) -> HTMLResponse:
    """Newest entries first (``cursor`` pages back), or in order from index ``start``."""
    signer, origin = _signer(request)
    signed = await service.checkpoint(session, signer, origin, now)
    if start is not None:
        entries = await repo.entries(session, start, PAGE)
        earlier = max(start - PAGE, 0) if start > 0 else None
        later = start + PAGE if start + PAGE < signed.tree_size else None
        next_cursor = None
    else:
        entries = await repo.newest_entries(session, decode_cursor(cursor), PAGE)
        earlier = later = None
        full = len(entries) == PAGE and entries[-1].idx > 0
        next_cursor = encode_cursor(entries[-1].idx) if full else None
    return render(
        request,
        "ledger/explorer.html",
        {
            "checkpoint": signed,
            "entries": entries,
            "start": start,
            "earlier": earlier,
            "later": later,
            "next_cursor": next_cursor,
            "subject_url": subject_url,
            "event_label": event_label,
        },
    )


@router.get("/ledger/entries")
async def find_entry(index: Count) -> RedirectResponse:
    """The explorer's "go to entry" form."""
    return RedirectResponse(f"/ledger/entries/{index}", status_code=303)


@router.get("/ledger/entries/{index}")
async def entry(index: Count, request: Request, session: Session, now: Now) -> HTMLResponse:
    """One entry: its exact text, leaf hash and inclusion proof in the current checkpoint
    (what its receipt holds)."""
    found = await service.get_entry(session, index)
    signer, origin = _signer(request)
    signed = await service.checkpoint(session, signer, origin, now)
    tiles = request.app.state.ledger_tiles
    proof = await service.inclusion_proof(session, tiles, index, signed.tree_size)
    canonical = found.canonical.decode()
    return render(
        request,
        "ledger/entry.html",
        {
            "entry": found,
            "canonical": canonical,
            "pretty": json.dumps(json.loads(canonical), ensure_ascii=False, indent=2),
            "proof": [h.hex() for h in proof],
            "checkpoint": signed,
            "subject_url": subject_url(found.subject),
            "event_label": event_label,
            "filename": receipt_filename(index),
        },
    )


@router.get("/ledger/entries/{index}/receipt")
async def download_receipt(
    index: Count, request: Request, session: Session, now: Now
) -> PlainTextResponse:
    """The entry's receipt as a file, for `techmarket ledger verify-receipt`."""
    signer, origin = _signer(request)
    tiles = request.app.state.ledger_tiles
    receipt = await service.receipt(session, tiles, signer, origin, index, now)
    return PlainTextResponse(
        receipt.text(),
        headers={"Content-Disposition": f'attachment; filename="{receipt_filename(index)}"'},
    )


@router.get("/ledger/verify")
async def how_to_verify(request: Request) -> HTMLResponse:
    signer, origin = _signer(request)
    return render(request, "ledger/verify.html", {"public_key": signer.vkey, "origin": origin})


@router.get("/ledger/public-key")
async def download_public_key(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        _signer(request)[0].vkey + "\n",
        headers={"Content-Disposition": 'attachment; filename="techmarket-ledger.pub"'},
    )
