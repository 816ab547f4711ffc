"""Trades (one achievement sold by one pricing mode), bidder registrations, bids."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base
from techmarket.models.org import _enum


class TradeMode(StrEnum):
    agreement = "agreement"  # 协议定价
    listed = "listed"  # 挂牌交易 (an auction once two or more buyers registered intent)
    auction = "auction"  # 竞价拍卖
    # 一键许可: the offer of a standard non-exclusive licence, and each deal taking it
    express_licence = "express_licence"


class TradeStatus(StrEnum):
    pending_approval = "pending_approval"  # the seller's TTO approves mode and price
    open = "open"  # auction: registration and bidding; agreement: negotiating
    listed = "listed"  # listed trading: taking intents until the listing ends
    notice = "notice"  # agreement: the agreed price on public notice (公示)
    sold = "sold"  # auction won / agreement concluded: a deal
    unsold = "unsold"  # 流拍
    cancelled = "cancelled"  # an objection was upheld
    defaulted = "defaulted"  # the winner did not sign within the signing period
    rejected = "rejected"
    withdrawn = "withdrawn"  # by the seller, before any bid, intent or acceptance bound it
    ended = "ended"  # a party ended the negotiation (agreement pricing)
    stopped = "stopped"  # an express licence no longer offered (licences granted stand)


class ObjectionStatus(StrEnum):
    raised = "raised"
    upheld = "upheld"
    dismissed = "dismissed"


class ObjectionState(StrEnum):
    """What the operator's queue asks for: objections awaiting a ruling, or ruled."""

    open = "open"  # raised, and the trade still on notice
    upheld = "upheld"
    dismissed = "dismissed"


class DepositStatus(StrEnum):
    held = "held"
    released = "released"
    applied = "applied"  # the winner's, towards the price
    forfeited = "forfeited"  # the winner did not sign the contract in time


class Trade(Base):
    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))  # agreement
    mode: Mapped[TradeMode] = mapped_column(_enum(TradeMode, "trade_mode"))
    status: Mapped[TradeStatus] = mapped_column(_enum(TradeStatus, "trade_status"))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)  # public terms (no reserve)
    reserve_commitment: Mapped[str] = mapped_column(String(64))
    reserve_fen: Mapped[int | None] = mapped_column(BigInteger)  # secret until close
    reserve_salt: Mapped[str] = mapped_column(String(64))  # secret until close
    # Holders of a priority purchase right: [{"org_id", "salt"}], secret until close (the
    # public terms carry their commitments).
    priority_holders: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # as extended
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    leader_alias: Mapped[str | None] = mapped_column(String(8))
    seq: Mapped[int] = mapped_column(BigInteger, default=0)  # last event number
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notice_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An express licence deal: the offer it took (each enterprise takes an offer once).
    offer_trade_id: Mapped[int | None] = mapped_column(ForeignKey("trades.id"))

    __table_args__ = (
        Index("ix_trades_status_ends_at", "status", "ends_at"),
        Index("ix_trades_status_notice_ends_at", "status", "notice_ends_at"),
        UniqueConstraint(
            "offer_trade_id", "buyer_org_id", name="uq_trades_offer_trade_id_buyer_org_id"
        ),
    )


class Registration(Base):
    """A bidder registered for an auction, with its deposit and alias (竞买号)."""

    __tablename__ = "trade_registrations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    alias: Mapped[str] = mapped_column(String(8))
    deposit_fen: Mapped[int] = mapped_column(BigInteger)
    deposit_status: Mapped[DepositStatus] = mapped_column(_enum(DepositStatus, "deposit_status"))
    priority_right: Mapped[bool] = mapped_column(default=False)
    max_amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # standing proxy maximum
    max_set_seq: Mapped[int | None] = mapped_column(BigInteger)  # when it was first set
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A broker who acted for the organisation, under which mandate (both null: its own).
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    broker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("trade_id", "org_id", name="uq_trade_registrations_trade_org"),
        UniqueConstraint("trade_id", "alias", name="uq_trade_registrations_trade_alias"),
    )


class Bid(Base):
    """An accepted bid: placed by the bidder, for its maximum (proxy), or a priority match."""

    __tablename__ = "bids"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("trade_registrations.id"))
    alias: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    seq: Mapped[int] = mapped_column(BigInteger)
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A broker who acted for the organisation, under which mandate (both null: its own).
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    broker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("trade_id", "seq", name="uq_bids_trade_seq"),)


class BidRequest(Base):
    """The outcome of a bid request, so that a retry with the same key gets the same one.
    Keys are the user's own: two users of one organisation may both send "1"."""

    __tablename__ = "bid_requests"

    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONB)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Offer(Base):
    """An offer or counter-offer in agreement pricing (协议定价)."""

    __tablename__ = "trade_offers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    # The ledger carries the price's commitment under this salt until acceptance; null
    # for offers made before commitments, whose price the ledger published outright.
    salt: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(2000))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A broker who acted for the organisation, under which mandate (both null: its own).
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    broker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CompetingOffer(Base):
    """A competing offer made during public notice (公示期竞争报价): its bidder's
    registration (alias, deposit) and its price, which the ledger holds as a commitment
    under ``salt`` until the notice ends."""

    __tablename__ = "competing_offers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("trade_registrations.id"), unique=True)
    price_fen: Mapped[int] = mapped_column(BigInteger)
    salt: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Objection(Base):
    """An objection raised during public notice, and the operator's ruling on it."""

    __tablename__ = "trade_objections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reasons: Mapped[str] = mapped_column(String(5000))
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus, "objection_status"))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentTerms(StrEnum):
    lump_sum = "lump_sum"  # 一次性支付
    instalments = "instalments"  # 分期支付
    royalty = "royalty"  # 提成支付
    free_then_royalty = "free_then_royalty"  # 先免费许可后付费: royalty on conversion


class Contract(Base):
    """The technology contract of a deal (技术合同) and its registration (认定登记)."""

    __tablename__ = "contracts"

    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"), primary_key=True)
    contract_number: Mapped[str] = mapped_column(String(100))
    signed_on: Mapped[date] = mapped_column()
    payment_terms: Mapped[PaymentTerms] = mapped_column(_enum(PaymentTerms, "payment_terms"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registration_number: Mapped[str | None] = mapped_column(String(100))
    registered_on: Mapped[date | None] = mapped_column()
    # The contract's text where the platform generated it (an express licence's standard
    # terms, its SHA-256 on the ledger).
    text: Mapped[str | None] = mapped_column(Text)
