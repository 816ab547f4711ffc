"""Payments received under a registered contract (实际到账): recorded by one party,
confirmed by the other, counted only once confirmed, on the deal, in the statistics and
by the auditor's replay."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.accounts.policy import Principal
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.replay import RuleViolation
from techmarket.ledger.verify import VerificationFailed, verify_export
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from techmarket.trading.payments import service
from techmarket.trading.payments.replay import Payments
from tests.conftest import START
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key
from tests.listings.helpers import published_achievement


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


@dataclass
class Deal:
    url: str  # the trade's
    seller: Account
    buyer: Account


async def _deal(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    register: bool = True,
) -> Deal:
    """An agreement concluded at 300,000,000 fen, its contract recorded (and registered)."""
    seller, buyer = await account(session, client), await account(session, client)
    listed = await published_achievement(client, seller, industry="health_medicine")
    created = await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id},
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{created.json()['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 300_000_000}, headers=seller.headers)
    assert (await client.post(f"{url}/accept", headers=buyer.headers)).status_code == 200
    clock.advance(timedelta(days=15))
    await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS)
    await session.commit()
    # Tokens ran out during the notice: the same organisations sign in again.
    seller = await account(session, client, org=seller.org)
    buyer = await account(session, client, org=buyer.org)
    contract = {"contract_number": "ZJ-2026-0042", "signed_on": "2026-12-10"}
    recorded = await client.post(
        f"{url}/contract", json={**contract, "payment_terms": "instalments"}, headers=buyer.headers
    )
    assert recorded.status_code == 201, recorded.text
    if register:
        registered = await client.post(
            f"{url}/contract/registration",
            json={"registration_number": "3301012026000042", "registered_on": "2026-12-20"},
            headers=seller.headers,
        )
        assert registered.status_code == 200, registered.text
    return Deal(url, seller, buyer)


async def _pay(client: httpx.AsyncClient, deal: Deal, who: Account, fen: int) -> httpx.Response:
    return await client.post(
        f"{deal.url}/contract/payments",
        json={"amount_fen": fen, "received_on": "2026-12-28", "evidence": "中国银行回单 0042"},
        headers=who.headers,
    )


async def _received(client: httpx.AsyncClient, deal: Deal) -> dict[str, Any]:
    return dict((await client.get(f"{deal.url}/contract/received")).json())


async def test_a_confirmed_payment_moves_the_received_total_and_the_statistics(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    deal = await _deal(client, session, clock, sessionmaker)
    first = await _pay(client, deal, deal.buyer, 120_000_000)
    assert first.status_code == 201, first.text
    assert (first.json()["confirmed"], first.json()["to_org_id"]) == (False, deal.seller.org.id)
    assert await _received(client, deal) == {
        "trade_id": int(deal.url.rsplit("/", 1)[1]),
        "contracted_fen": 300_000_000,
        "received_fen": 0,  # not until the seller confirms it
        "awaiting_confirmation_fen": 120_000_000,
    }
    stats = (await client.get("/api/v1/stats")).json()["received"]
    assert (stats["received_fen"], stats["contracts"]) == (0, 0)

    confirmed = await client.post(
        f"{deal.url}/contract/payments/{first.json()['id']}/confirm", headers=deal.seller.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (await _received(client, deal))["received_fen"] == 120_000_000
    stats = (await client.get("/api/v1/stats")).json()["received"]
    assert stats["received_fen"] == 120_000_000
    assert stats["by_mode"] == {"agreement": 120_000_000}
    assert stats["by_industry"] == {"health_medicine": 120_000_000}
    assert (stats["by_province"], stats["by_city"]) == (
        {"330000": 120_000_000},
        {"330100": 120_000_000},
    )
    assert (stats["contracts"], stats["contracts_reaching_threshold"]) == (1, 0)

    # A second payment, recorded by the seller and confirmed by the buyer, takes the contract
    # to ¥2,000,000 received: it now counts towards the threshold.
    second = await _pay(client, deal, deal.seller, 80_000_000)
    await client.post(
        f"{deal.url}/contract/payments/{second.json()['id']}/confirm", headers=deal.buyer.headers
    )
    stats = (await client.get("/api/v1/stats")).json()["received"]
    assert (stats["received_fen"], stats["contracts_reaching_threshold"]) == (200_000_000, 1)
    assert stats["threshold_fen"] == 200_000_000
    listed = (await client.get(f"{deal.url}/contract/payments")).json()
    assert [(p["amount_fen"], p["confirmed"]) for p in listed["items"]] == [
        (120_000_000, True),
        (80_000_000, True),
    ]
    assert listed["items"][0]["evidence"] is None  # the parties' business, not the public's
    await _verify(client)


async def test_a_party_cannot_confirm_its_own_payment_nor_an_outsider_anyones(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    deal = await _deal(client, session, clock, sessionmaker)
    paid = (await _pay(client, deal, deal.buyer, 5_000_000)).json()
    confirm = f"{deal.url}/contract/payments/{paid['id']}/confirm"
    own = await client.post(confirm, headers=deal.buyer.headers)
    assert (own.status_code, own.json()["code"]) == (409, "own_payment")
    outsider = await account(session, client)
    refused = await client.post(confirm, headers=outsider.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_a_contract_party")
    assert (await _pay(client, deal, outsider, 1)).json()["code"] == "not_a_contract_party"
    assert (await client.post(confirm, headers=deal.seller.headers)).status_code == 200
    again = await client.post(confirm, headers=deal.seller.headers)
    assert (again.status_code, again.json()["code"]) == (409, "payment_confirmed")
    assert (await _received(client, deal))["received_fen"] == 5_000_000
    mine = (await client.get(f"{deal.url}/contract/payments", headers=deal.seller.headers)).json()
    assert mine["items"][0]["evidence"] == "中国银行回单 0042"


async def test_payments_wait_for_the_registration_and_are_above_zero(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    deal = await _deal(client, session, clock, sessionmaker, register=False)
    early = await _pay(client, deal, deal.buyer, 5_000_000)
    assert (early.status_code, early.json()["code"]) == (409, "contract_not_registered")
    registered = await client.post(
        f"{deal.url}/contract/registration",
        json={"registration_number": "3301012026000042", "registered_on": "2026-12-20"},
        headers=deal.buyer.headers,
    )
    assert registered.status_code == 200, registered.text
    assert (await _pay(client, deal, deal.buyer, 5_000_000)).status_code == 201
    assert (await _pay(client, deal, deal.buyer, 0)).status_code == 422
    buyer = Principal(user=deal.buyer.user, org=deal.buyer.org)
    trade_id = int(deal.url.rsplit("/", 1)[1])
    with pytest.raises(service.PaymentNotPositive):  # the rule, below the wire's check
        await service.record(session, buyer, trade_id, 0, START.date(), "x", START)


async def test_the_verifier_rejects_a_forged_confirmation(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A correctly hashed entry in which the buyer confirms the payment it recorded."""
    deal = await _deal(client, session, clock, sessionmaker)
    paid = (await _pay(client, deal, deal.buyer, 5_000_000)).json()
    await _verify(client)
    forged = await ledger.append(
        session,
        "payment.confirmed",
        f"trade/{paid['trade_id']}",
        {"trade_id": paid["trade_id"], "payment_id": paid["id"], "by_org_id": deal.buyer.org.id},
        clock.now(),
    )
    await session.commit()
    with pytest.raises(VerificationFailed, match="own_payment") as caught:
        await _verify(client)
    assert caught.value.index == forged


OPENED = {"trade_id": 7, "seq": 1, "mode": "auction", "seller_org_id": 1, "buyer_org_id": None}
REG = ("trade.contract_registered", {"trade_id": 7, "seq": 9})


def _recorded(**data: Any) -> dict[str, Any]:
    return {
        "trade_id": 7,
        "payment_id": 1,
        "amount_fen": 100,
        "by_org_id": 2,
        "to_org_id": 1,
        **data,
    }


def _replay(*entries: tuple[str, dict[str, Any]]) -> None:
    book = Payments()
    for index, (kind, data) in enumerate(entries):
        book.feed(index, {"type": kind, "data": data})


def test_the_replay_counts_a_payment_once_the_other_party_confirmed_it() -> None:
    _replay(
        ("trade.opened", OPENED),
        REG,
        ("payment.recorded", _recorded()),
        ("payment.confirmed", {"trade_id": 7, "payment_id": 1, "by_org_id": 1}),
    )


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ([("payment.recorded", _recorded())], "contract_not_registered"),
        (
            [
                REG,
                ("payment.recorded", _recorded(amount_fen=0)),
            ],
            "payment_not_positive",
        ),
        ([REG, ("payment.recorded", _recorded(by_org_id=2, to_org_id=2))], "not_a_contract_party"),
        ([REG, ("payment.recorded", _recorded(by_org_id=3, to_org_id=4))], "not_a_contract_party"),
        (
            [
                REG,
                ("payment.recorded", _recorded()),
                ("payment.confirmed", {"trade_id": 7, "payment_id": 1, "by_org_id": 3}),
            ],
            "not_a_contract_party",
        ),
        (
            [
                REG,
                ("payment.recorded", _recorded()),
                ("payment.confirmed", {"trade_id": 7, "payment_id": 1, "by_org_id": 1}),
                ("payment.confirmed", {"trade_id": 7, "payment_id": 1, "by_org_id": 1}),
            ],
            "payment_confirmed",
        ),
        (
            [REG, ("payment.confirmed", {"trade_id": 7, "payment_id": 5, "by_org_id": 1})],
            "not recorded",
        ),
    ],
)
def test_the_replay_refuses_what_the_rules_refuse(
    entries: list[tuple[str, dict[str, Any]]], reason: str
) -> None:
    with pytest.raises(RuleViolation, match=reason):
        _replay(("trade.opened", OPENED), *entries)
