"""The kinds of notification: what a user chooses about, one by one. Each has a Chinese
label (the preferences page) and whether it is e-mailed unless the user chose otherwise;
the in-app inbox always receives every kind."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    outbid = "outbid"
    extended = "extended"  # the auction you lead was extended
    closed = "closed"  # an auction or listing you took part in, or sell, closed
    registered = "registered"  # your registration or intent confirmed, deposit held
    deposit = "deposit"  # your deposit released, applied or forfeited
    approval = "approval"  # something awaits your approval (TTO, operator)
    offer = "offer"  # an offer or counter-offer received
    notice = "notice"  # a public notice opened on your trade
    objection = "objection"  # an objection raised on your trade, or ruled
    mandate = "mandate"  # a mandate offered, accepted or revoked
    poc = "poc"  # a proof-of-concept project's step
    signing = "signing"  # the contract's signing deadline approaches
    push = "push"  # a publication matching a subscription, or an institution's achievements
    push_digest = "push_digest"  # the day's matches kept for a digest


class About(NamedTuple):
    label: str
    email: bool  # e-mailed unless the user chose otherwise


ABOUT: dict[Kind, About] = {
    Kind.outbid: About("出价被超过", True),
    Kind.extended: About("领先时拍卖延时", False),
    Kind.closed: About("拍卖或挂牌结束", True),
    Kind.registered: About("报名或意向确认", False),
    Kind.deposit: About("保证金变动", True),
    Kind.approval: About("待我审批", True),
    Kind.offer: About("收到报价或还价", True),
    Kind.notice: About("交易进入公示", False),
    Kind.objection: About("异议提出与裁定", True),
    Kind.mandate: About("委托的提出、接受与撤销", True),
    Kind.poc: About("概念验证项目进展", True),
    Kind.signing: About("签约期限临近", True),
    Kind.push: About("订阅推送", True),
    Kind.push_digest: About("每日推送摘要", True),
}
