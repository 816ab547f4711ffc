"""Live auctions across real processes: websockets, fan-out, restarts, closing."""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from techmarket.demo import DEMO_PASSWORD
from tests.e2e.servers import Server, serving

WEILAI = "buyer@weilai.demo.techmarket.cn"  # registered for the demo auction
HAIRUI = "buyer@hairui.demo.techmarket.cn"  # registered too
BROKER = "broker@jingji.demo.techmarket.cn"  # not registered
PROF = "prof@zju.demo.techmarket.cn"  # the seller's organisation
TTO = "tto@zju.demo.techmarket.cn"


async def token(http: httpx.AsyncClient, base: str, email: str) -> str:
    response = await http.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def receive(
    ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool], within: float = 10
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            msg = json.loads(await ws.recv())
            if wanted(msg):
                return dict(msg)


def ws_url(server: Server, trade_id: int, bearer: str | None = None) -> str:
    url = server.url.replace("http://", "ws://") + f"/ws/trades/{trade_id}"
    return f"{url}?token={bearer}" if bearer else url


async def demo_auction(http: httpx.AsyncClient, base: str) -> dict[str, Any]:
    trades = (await http.get(f"{base}/api/v1/trades")).json()["items"]
    assert trades, "the demo has a live auction"
    return dict(trades[0])


async def test_bids_reach_watchers_on_another_process(tmp_path: Path) -> None:
    with serving(tmp_path, "--demo") as a, serving(tmp_path) as b:
        async with httpx.AsyncClient(timeout=30) as http:
            trade = await demo_auction(http, a.url)
            weilai = await token(http, a.url, WEILAI)
            hairui = await token(http, b.url, HAIRUI)
            async with connect(ws_url(b, trade["id"], hairui)) as watcher:
                snapshot = await receive(watcher, lambda m: m["type"] == "snapshot")
                assert snapshot["you"]["registered"] is True
                start = trade["terms"]["start_price_fen"]
                step = trade["terms"]["increment_fen"]
                price = snapshot["current_price_fen"]
                amount = start if price is None else price + step

                # An HTTP bid on process A reaches the watcher on process B.
                response = await http.post(
                    f"{a.url}/api/v1/trades/{trade['id']}/bids",
                    json={"amount_fen": amount},
                    headers={"Authorization": f"Bearer {weilai}"},
                )
                assert response.status_code == 200, response.text
                seen = await receive(watcher, lambda m: m["type"] == "bid")
                assert seen["amount_fen"] == amount
                assert seen["seq"] == response.json()["seq"]
                assert seen["bidder_alias"] == response.json()["leader_alias"]

                # A bid over the websocket: acknowledged with its ledger entry.
                await watcher.send(
                    json.dumps({"type": "bid", "request_id": "r1", "amount_fen": amount + step})
                )
                ack = await receive(watcher, lambda m: m["type"] in ("ack", "error"))
                assert ack["type"] == "ack", ack
                assert ack["request_id"] == "r1"
                entry = await http.get(f"{a.url}/api/v1/ledger/entries/{ack['ledger_index']}")
                assert json.loads(entry.json()["canonical"])["type"] == "trade.bid_accepted"

                # The same request again: the same outcome, once.
                await watcher.send(
                    json.dumps({"type": "bid", "request_id": "r1", "amount_fen": amount + step})
                )
                again = await receive(watcher, lambda m: m["type"] in ("ack", "error"))
                assert again == ack

                # Errors keep the socket open.
                await watcher.send("{not json")
                assert (await receive(watcher, lambda m: m["type"] == "error"))["code"] == "invalid"
                await watcher.send(
                    json.dumps({"type": "bid", "request_id": "low", "amount_fen": amount})
                )
                low = await receive(watcher, lambda m: m.get("request_id") == "low")
                assert low["code"] == "too_low"

            # A watcher that reconnects resumes from the last seq it saw: the missed
            # events come from the ledger, the same messages as broadcast.
            async with connect(ws_url(b, trade["id"])) as late:
                await receive(late, lambda m: m["type"] == "snapshot")
                await late.send(json.dumps({"type": "resume", "after_seq": seen["seq"] - 1}))
                assert await receive(late, lambda m: m["type"] == "bid") == seen

            for email, code in ((BROKER, "not_registered"), (PROF, "own_trade")):
                bearer = await token(http, a.url, email)
                async with connect(ws_url(a, trade["id"], bearer)) as ws:
                    await receive(ws, lambda m: m["type"] == "snapshot")
                    await ws.send(
                        json.dumps({"type": "bid", "request_id": "x", "amount_fen": amount * 10})
                    )
                    assert (await receive(ws, lambda m: m["type"] == "error"))["code"] == code
            listing = await http.get(f"{a.url}/api/v1/trades", params={"status": "listed"})
            listed_id = listing.json()["items"][0]["id"]
            async with connect(ws_url(a, listed_id, weilai)) as ws:
                await receive(ws, lambda m: m["type"] == "snapshot")
                await ws.send(json.dumps({"type": "bid", "request_id": "x", "amount_fen": 10**9}))
                assert (await receive(ws, lambda m: m["type"] == "error"))["code"] == "not_open"
            async with connect(ws_url(a, trade["id"])) as anonymous:
                await receive(anonymous, lambda m: m["type"] == "snapshot")
                await anonymous.send(
                    json.dumps({"type": "bid", "request_id": "x", "amount_fen": amount * 10})
                )
                error = await receive(anonymous, lambda m: m["type"] == "error")
                assert error["code"] == "unauthorized"
