"""What the public ledger and trade view reveal, and when: negotiation offers and priority
holders go on as commitments, opened at acceptance and at the close, each reveal checked."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.cli import app
from techmarket.clock import FixedClock
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import VerificationFailed, verify_export
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key, rewind_ledger
from tests.listings.helpers import published_achievement
from tests.trading.helpers import bid, open_auction

runner = CliRunner()
ASKED, COUNTERED = 1_234_500, 987_600


async def _entries(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every ledger entry's body, as anyone reads them."""
    listed = (await client.get("/api/v1/ledger/entries", params={"limit": 1000})).json()
    return [json.loads(e["canonical"]) for e in listed["entries"]]


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def _forged_at(
    client: httpx.AsyncClient, session: AsyncSession, type_: str, forge: Any
) -> int:
    """Replace the last ``type_`` entry (and drop what follows) with ``forge(data)``,
    every hash redone: what a platform rewriting its own history could produce."""
    lines = await export_lines(client)
    at = max(i for i, line in enumerate(lines) if f'\\"type\\":\\"{type_}\\"' in line)
    body = json.loads(json.loads(lines[at])["canonical"])
    await rewind_ledger(session, at)
    ts = datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))
    await ledger.append(session, type_, body["subject"], forge(body["data"]), ts)
    await session.commit()
    return at


async def _negotiated(client: httpx.AsyncClient, seller: Account, buyer: Account) -> str:
    """A negotiation with an offer and a counter-offer, not yet accepted; its URL."""
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id},
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{created.json()['id']}"
    for who, price in ((seller, ASKED), (buyer, COUNTERED)):
        made = await client.post(f"{url}/offers", json={"price_fen": price}, headers=who.headers)
        assert made.json()["price_fen"] == price  # the party itself sees its offer
    return url


async def test_offers_are_commitments_until_the_price_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession, tmp_path: Path
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    url = await _negotiated(client, seller, buyer)

    during = await _entries(client)
    offers = [e["data"] for e in during if e["type"] == "trade.offer"]
    assert len(offers) == 2
    assert all(
        set(o) == {"trade_id", "seq", "offer_id", "org_id", "price_commitment"} for o in offers
    )
    for price in (ASKED, COUNTERED):
        assert not any(str(price) in json.dumps(e) for e in during)
        assert str(price) not in (await client.get(url)).text

    accepted = await client.post(f"{url}/accept", headers=seller.headers)
    assert accepted.json()["current_price_fen"] == COUNTERED
    [acceptance] = [e["data"] for e in await _entries(client) if e["type"] == "trade.accepted"]
    revealed = {r["offer_id"]: r for r in acceptance["offers"]}
    assert [revealed[o["offer_id"]]["price_fen"] for o in offers] == [ASKED, COUNTERED]
    for offer in offers:
        opened = revealed[offer["offer_id"]]
        assert commitment.commit(opened["price_fen"], opened["salt"]) == offer["price_commitment"]

    key, export = tmp_path / "log.pub", tmp_path / "ledger.jsonl"
    key.write_text(await public_key(client))
    export.write_text("\n".join(await export_lines(client)) + "\n")
    verified = runner.invoke(app, ["ledger", "verify", "--export", str(export), "--key", str(key)])
    assert verified.exit_code == 0, verified.output
    assert "trade.accepted: 1" in verified.output


async def test_a_reveal_that_does_not_open_its_commitment_is_caught(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seller, buyer = await account(session, client), await account(session, client)
    url = await _negotiated(client, seller, buyer)
    await client.post(f"{url}/accept", headers=seller.headers)
    await _verify(client)

    def lower_asking_price(data: dict[str, Any]) -> dict[str, Any]:
        """Claim afterwards that the seller had asked for less than it did."""
        offers = [
            {**o, "price_fen": 900_000} if o["price_fen"] == ASKED else o for o in data["offers"]
        ]
        return {**data, "offers": offers}

    at = await _forged_at(client, session, "trade.accepted", lower_asking_price)
    with pytest.raises(VerificationFailed, match="does not match its commitment") as caught:
        await _verify(client)
    assert caught.value.index == at


async def test_priority_holders_are_hidden_until_the_close_then_verifiable(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, holder, other, outsider = [await account(session, client) for _ in range(4)]
    trade = await open_auction(client, seller, priority_holder_org_ids=[holder.org.id])
    url = f"/api/v1/trades/{trade['id']}"
    assert trade["priority_holder_org_ids"] == [holder.org.id]  # the seller named it
    assert "priority_holder_org_ids" not in trade["terms"]
    [committed] = trade["terms"]["priority_holder_commitments"]
    for who, sees in ((outsider, []), (holder, [holder.org.id]), (seller, [holder.org.id])):
        view = (await client.get(url, headers=who.headers)).json()
        assert view["priority_holder_org_ids"] == sees
    assert (await client.get(url)).json()["priority_holder_org_ids"] == []

    mine = (await client.post(f"{url}/registrations", headers=holder.headers)).json()
    theirs = (await client.post(f"{url}/registrations", headers=other.headers)).json()
    registered = {
        e["data"]["alias"]: e["data"]
        for e in await _entries(client)
        if e["type"] == "trade.registered"
    }
    assert registered[mine["alias"]]["priority_commitment"] == committed
    assert registered[theirs["alias"]]["priority_commitment"] is None
    assert not any("org_id" in data or "priority_right" in data for data in registered.values())
    clock.advance(timedelta(minutes=15))
    await bid(client, other, trade["id"], 1_500_000)
    assert (await bid(client, holder, trade["id"], 1_500_000)).json()["accepted"][0][
        "kind"
    ] == "match"

    clock.advance(timedelta(hours=1))
    assert await scheduler.run(sessionmaker, clock, scheduler.CLOSE_AUCTIONS) == 1
    [closed] = [e["data"] for e in await _entries(client) if e["type"] == "trade.closed"]
    [opened] = closed["priority_holders"]
    assert (opened["org_id"], opened["alias"]) == (holder.org.id, mine["alias"])
    assert commitment.commit(opened["org_id"], opened["salt"]) == committed
    assert (await client.get(url)).json()["priority_holder_org_ids"] == [holder.org.id]
    await _verify(client)

    def behind_the_other_alias(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "priority_holders": [{**opened, "alias": theirs["alias"]}]}

    at = await _forged_at(client, session, "trade.closed", behind_the_other_alias)
    with pytest.raises(VerificationFailed, match="registered as") as caught:
        await _verify(client)
    assert caught.value.index == at
