"""Processes die and several run at once: no acknowledged bid is lost, every auction
closes exactly once, including one whose end passed while nothing ran."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from techmarket.audit import rule_books
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from tests.e2e.servers import Server
from tests.e2e.test_live_auction import HAIRUI, PROF, TTO, WEILAI, receive, token, ws_url


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def _short_auction(http: httpx.AsyncClient, base: str, seconds: int) -> dict[str, Any]:
    """A ZJU achievement auctioned for ``seconds`` from now, approved by ZJU's TTO."""
    prof = await token(http, base, PROF)
    me = (await http.get(f"{base}/api/v1/me", headers=_bearer(prof))).json()
    listed = await http.get(
        f"{base}/api/v1/achievements", params={"org_id": me["org"]["id"], "limit": 1}
    )
    achievement = listed.json()["items"][0]
    now = datetime.now(UTC)
    created = await http.post(
        f"{base}/api/v1/trades",
        json={
            "achievement_id": achievement["id"],
            "start_price_fen": 100_000,
            "increment_fen": 10_000,
            "deposit_fen": 1_000,
            "registration_deadline": (now + timedelta(seconds=seconds)).isoformat(),
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(seconds=seconds)).isoformat(),
            "extension_seconds": 30,
        },
        headers=_bearer(prof),
    )
    assert created.status_code == 201, created.text
    tto = await token(http, base, TTO)
    approved = await http.post(
        f"{base}/api/v1/trades/{created.json()['id']}/approve", headers=_bearer(tto)
    )
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


async def _when_closed(http: httpx.AsyncClient, base: str, trade_id: int) -> dict[str, Any]:
    """The trade once the start-up catch-up (which runs just after start) has closed it."""
    async with asyncio.timeout(15):
        while True:
            trade = (await http.get(f"{base}/api/v1/trades/{trade_id}")).json()
            if trade["status"] != "open":
                return dict(trade)
            await asyncio.sleep(0.2)


async def _closes(http: httpx.AsyncClient, base: str, trade_id: int) -> list[dict[str, Any]]:
    lines = (await http.get(f"{base}/api/v1/ledger/export")).text.splitlines()
    bodies = [json.loads(json.loads(line)["canonical"]) for line in lines[:-1]]
    return [
        b for b in bodies if b["type"] == "trade.closed" and b["subject"] == f"trade/{trade_id}"
    ]


async def test_kill_restart_and_three_processes(tmp_path: Path) -> None:
    first = Server(tmp_path, "--demo")
    first.wait_ready()
    async with httpx.AsyncClient(timeout=30) as http:
        trade = await _short_auction(http, first.url, seconds=20)
        url = f"{first.url}/api/v1/trades/{trade['id']}"
        buyers = [await token(http, first.url, e) for e in (WEILAI, HAIRUI)]
        for bearer in buyers:
            assert (await http.post(f"{url}/registrations", headers=_bearer(bearer))).is_success
        acknowledged = []
        for i in range(6):
            response = await http.post(
                f"{url}/bids",
                json={"amount_fen": 100_000 + 10_000 * i},
                headers=_bearer(buyers[i % 2]),
            )
            assert response.status_code == 200, response.text
            acknowledged += [b["bid_id"] for b in response.json()["accepted"]]
        first.kill()  # kill -9, mid-auction

        # The (extended) end passes while nothing runs.
        ends_at = datetime.fromisoformat(response.json()["ends_at"])
        await asyncio.sleep(max(0.0, (ends_at - datetime.now(UTC)).total_seconds()) + 1)

        servers = [Server(tmp_path) for _ in range(3)]
        try:
            for server in servers:
                server.wait_ready()
            base = servers[0].url
            closed = await _when_closed(http, base, trade["id"])
            assert closed["status"] == "sold"
            assert closed["current_price_fen"] == 150_000
            bids = (await http.get(f"{base}/api/v1/trades/{trade['id']}/bids")).json()["items"]
            assert len(bids) == len(acknowledged) == 6
            assert len(await _closes(http, base, trade["id"])) == 1

            # Three processes, each with a watcher: one close, heard once everywhere.
            # (No bids: a bid would extend this short auction by the 30 s minimum.)
            second = await _short_auction(http, base, seconds=6)
            watchers = [await connect(ws_url(s, second["id"])) for s in servers]
            for ws in watchers:
                await receive(ws, lambda m: m["type"] == "snapshot")
            for ws in watchers:  # the end, the bids' grace, then the next scheduler round
                seen = await receive(ws, lambda m: m["type"] == "closed", within=20)
                assert seen["result"] == "unsold"
            await asyncio.sleep(6)  # another scheduler round on every process
            assert len(await _closes(http, base, second["id"])) == 1
            late = await token(http, base, WEILAI)
            async with connect(ws_url(servers[1], second["id"], late)) as ws:
                await receive(ws, lambda m: m["type"] == "snapshot")
                await ws.send(json.dumps({"type": "bid", "request_id": "z", "amount_fen": 10**9}))
                assert (await receive(ws, lambda m: m["type"] == "error"))["code"] == "closed"
            for ws in watchers:
                await ws.close()

            lines = (await http.get(f"{base}/api/v1/ledger/export")).text.splitlines()
            key = (await http.get(f"{base}/api/v1/ledger/public-key")).text
            summary = verify_export(lines, Verifier.parse(key), rule_books=rule_books())
            assert summary.event_types["trade.closed"] == 2
        finally:
            for server in servers:
                server.stop()
    # The last process out stopped the embedded server, though the first was killed.
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
