"""Request and response shapes for trades and bids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator

from techmarket.models.trade import PaymentTerms
from techmarket.trading.rules.express import Pricing, RoyaltyBase
from techmarket.types import Fen, FenOrZero, Id, Line, Text, UtcDateTime


class AuctionCreate(BaseModel):
    achievement_id: Id
    mode: Literal["auction"] = "auction"
    start_price_fen: Fen
    increment_fen: Fen = Field(description="加价幅度: bids are the start plus whole increments")
    reserve_fen: Fen | None = Field(default=None, description="保留价: secret until close")
    deposit_fen: FenOrZero
    registration_deadline: UtcDateTime
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    extension_seconds: int = Field(default=300, ge=30, le=3600, description="延时周期")
    priority_holder_org_ids: list[Id] = Field(
        default_factory=list, max_length=10, description="holders of 优先购买权"
    )

    @model_validator(mode="after")
    def _times(self) -> AuctionCreate:
        if not self.starts_at < self.ends_at:
            raise ValueError("ends_at must be after starts_at")
        if self.registration_deadline > self.ends_at:
            raise ValueError("registration_deadline must not be after ends_at")
        return self


class ListedCreate(BaseModel):
    achievement_id: Id
    mode: Literal["listed"]
    listed_price_fen: Fen
    deposit_fen: FenOrZero
    listing_ends_at: UtcDateTime
    increment_fen: Fen = Field(description="for the auction if two or more buyers intend")
    auction_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    extension_seconds: int = Field(default=300, ge=30, le=3600)


class AgreementCreate(BaseModel):
    achievement_id: Id
    mode: Literal["agreement"]
    buyer_org_id: Id = Field(description="the named buyer")
    asking_price_fen: Fen | None = None


class ExpressCreate(BaseModel):
    """An express licence (一键许可): a standard non-exclusive licence any verified
    enterprise takes in one step, at a fee or free first with a royalty on conversion."""

    achievement_id: Id
    mode: Literal["express_licence"]
    pricing: Pricing
    price_fen: Fen | None = Field(default=None, description="the fee (pricing fixed)")
    royalty_rate_bp: int | None = Field(
        default=None, ge=1, le=10_000, description="万分比 of the base (free_then_royalty)"
    )
    royalty_base: RoyaltyBase | None = Field(default=None, description="free_then_royalty")
    term_years: int = Field(default=5, ge=1, le=20, description="许可期限")

    @model_validator(mode="after")
    def _pricing(self) -> ExpressCreate:
        if self.pricing == Pricing.fixed and self.price_fen is None:
            raise ValueError("a fixed-price licence needs price_fen")
        if self.pricing == Pricing.free_then_royalty and (
            self.royalty_rate_bp is None or self.royalty_base is None
        ):
            raise ValueError("a free-first licence needs royalty_rate_bp and royalty_base")
        return self

    def terms(self) -> dict[str, object]:
        """The public terms: only those of its pricing."""
        fixed = self.pricing == Pricing.fixed
        return {
            "licence": "non_exclusive",
            "pricing": self.pricing.value,
            "price_fen": self.price_fen if fixed else None,
            "royalty_rate_bp": None if fixed else self.royalty_rate_bp,
            "royalty_base": None if fixed or self.royalty_base is None else self.royalty_base.value,
            "term_years": self.term_years,
        }


def _mode(value: object) -> str:
    """Which kind of trade a request opens; auctions when it does not say."""
    found = value.get("mode") if isinstance(value, dict) else getattr(value, "mode", None)
    return str(found or "auction")


TradeCreate = Annotated[
    Annotated[AuctionCreate, Tag("auction")]
    | Annotated[AgreementCreate, Tag("agreement")]
    | Annotated[ListedCreate, Tag("listed")]
    | Annotated[ExpressCreate, Tag("express_licence")],
    Discriminator(_mode),
]


class OfferCreate(BaseModel):
    price_fen: Fen
    note: Text | None = Field(default=None, max_length=2000)


class OfferRead(BaseModel):
    """An offer or counter-offer, as only the two parties see it before acceptance (the
    ledger holds a commitment to its price until then)."""

    id: int
    trade_id: int
    org_id: int = Field(description="who offered: the seller or the named buyer")
    price_fen: int
    note: str | None
    at: datetime
    ledger_index: int | None = Field(description="the trade.offer entry committing to it")


class CompetingOfferCreate(BaseModel):
    price_fen: Fen = Field(description="above the agreed price on notice")


class CompetingOfferRead(BaseModel):
    """A competing offer made during public notice: its bidder's only, until the notice's
    end revealed them all (the ledger holds a commitment to its price until then)."""

    id: int
    trade_id: int
    alias: str = Field(description="the bidder's alias (竞买号) in the auction that may follow")
    price_fen: int
    deposit_fen: int
    deposit_status: str
    at: datetime
    ledger_index: int | None = Field(default=None, description="the trade.competing_offer entry")


class ObjectionCreate(BaseModel):
    reasons: Text = Field(min_length=1, max_length=5000)


class ObjectionRead(BaseModel):
    """An objection in the operator's queue, with the deal on notice it concerns."""

    id: int
    trade_id: int
    title: str = Field(description="the achievement's title")
    seller: str
    buyer: str
    price_fen: int | None = Field(description="the agreed price on notice")
    notice_ends_at: datetime | None
    org_id: int = Field(description="the objecting organisation")
    org_name: str
    reasons: str
    status: str
    raised_at: datetime
    resolved_at: datetime | None


class TradeRead(BaseModel):
    """What anyone sees of a trade: aliases, never bidders' names; no reserve until close."""

    id: int
    achievement_id: int
    seller_org_id: int
    buyer_org_id: int | None
    mode: str
    status: str
    terms: dict[str, object]
    reserve_commitment: str
    reserve_fen: int | None = Field(description="revealed at close (null: none, or not yet)")
    reserve_salt: str | None
    priority_holder_org_ids: list[int] = Field(
        description="holders of 优先购买权 you may know of: public once the auction closed; "
        "before that the seller sees whom it named, a holder only itself"
    )
    current_price_fen: int | None
    leader_alias: str | None
    ends_at: datetime
    notice_ends_at: datetime | None
    seq: int
    ledger_index: int | None = None


class RegistrationRead(BaseModel):
    trade_id: int
    alias: str
    deposit_fen: int
    deposit_status: str
    priority_right: bool
    ledger_index: int | None = None


class BidCreate(BaseModel):
    amount_fen: Fen
    max_amount_fen: Fen | None = Field(default=None, description="bid for me up to this")


class AcceptedBid(BaseModel):
    bid_id: int
    seq: int
    alias: str
    amount_fen: int
    kind: str
    ledger_index: int


class BidResult(BaseModel):
    """The accepted bids this request caused (its own first, then any the engine placed
    for standing maxima), and the trade as it now stands."""

    accepted: list[AcceptedBid]
    current_price_fen: int
    leader_alias: str
    ends_at: datetime
    seq: int


class ContractCreate(BaseModel):
    contract_number: Line = Field(min_length=1, max_length=100, description="合同编号")
    signed_on: date
    payment_terms: PaymentTerms


class ContractRegistration(BaseModel):
    registration_number: Line = Field(min_length=1, max_length=100, description="认定登记号")
    registered_on: date


class OfferMade(BaseModel):
    offer_id: int
    price_fen: int
    ledger_index: int = Field(description="the trade.offer entry (a commitment to the price)")


class ObjectionRaised(BaseModel):
    objection_id: int
    status: str
    ledger_index: int


class ContractRead(BaseModel):
    trade_id: int
    contract_number: str
    signed_on: date
    payment_terms: str
    registration_number: str | None
    registered_on: date | None
    ledger_index: int


class BidRead(BaseModel):
    """An accepted bid, by the bidder's alias (竞买号), never its name."""

    seq: int
    alias: str
    amount_fen: int
    kind: str = Field(description="placed, proxy (for a standing maximum) or match")
    at: datetime
    ledger_index: int


class PublicObjectionRead(BaseModel):
    """An objection as anyone may know it: who, when, the ruling (not the reasons)."""

    id: int
    org_id: int
    org_name: str
    status: str
    raised_at: datetime
    resolved_at: datetime | None
    raised_index: int | None
    resolved_index: int | None


class NoticeRead(BaseModel):
    """An agreed price on public notice (公示), with the period announced and its objections."""

    trade_id: int
    title: str
    seller: str
    seller_org_id: int
    buyer: str
    buyer_org_id: int
    price_fen: int
    status: str
    closed_at: datetime | None
    notice_opened_at: datetime | None
    notice_ends_at: datetime
    notice_period: str | None = Field(description="ISO 8601, as the ledger announced it")
    ledger_index: int | None = Field(description="the trade.notice_opened entry")
    objections: list[PublicObjectionRead]
    competition: dict[str, object] | None = Field(
        description="how to make a competing offer, and the auction that would follow "
        "(deposit_fen, increment_fen, auction_period, extension_seconds, signing_period); "
        "null on notices from before competing offers"
    )
    converted: bool = Field(description="competing offers turned it into an auction")


class DealRead(BaseModel):
    """A concluded trade, public."""

    trade_id: int
    mode: str
    title: str
    industry: str
    region_code: str
    price_fen: int | None
    seller_org_id: int
    seller: str
    buyer_org_id: int | None
    buyer: str | None
    concluded_at: datetime | None


class ExpressTaken(BaseModel):
    """An express licence taken: the deal (a trade of its own) and its generated contract."""

    offer_trade_id: int
    deal: TradeRead
    contract_number: str
    payment_terms: str
    contract_text: str = Field(description="the standard contract, both parties filled in")
    contract_sha256: str = Field(description="on the ledger with the take")
    ledger_index: int
