"""Fan-out through PostgreSQL: messages reach every listening process at commit, in
order, however many one transaction sends."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from websockets.frames import Frame, Opcode

from techmarket import listening as keepalive
from techmarket.trading import broadcast
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from tests.conftest import START


def _bid(seq: int) -> dict[str, object]:
    data = {"seq": seq, "amount_fen": 100 * seq, "alias": "K7QX", "ends_at": START.isoformat()}
    msg = broadcast.message("trade.bid_accepted", data, START + timedelta(seconds=seq), seq)
    assert msg is not None
    return msg


async def _events(inbox: broadcast.Inbox) -> list[broadcast.Event]:
    missed, items = await inbox.take()
    assert not missed
    return [item for item in items if isinstance(item, broadcast.Event)]


@pytest.fixture
async def broadcaster(engine: AsyncEngine) -> AsyncIterator[broadcast.Broadcaster]:
    """A process's listener on the test database."""
    listening = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    await listening.start()
    yield listening
    await listening.stop()


async def _notified(committed: async_sessionmaker[AsyncSession], trade_id: int, seq: int) -> None:
    async with committed.begin() as session:
        await broadcast.notify(session, {trade_id: [_bid(seq)]})


async def test_a_large_batch_arrives_whole_in_order_at_commit_and_only_to_its_trade(
    broadcaster: broadcast.Broadcaster, committed: async_sessionmaker[AsyncSession]
) -> None:
    watching, elsewhere = broadcaster.subscribe(7), broadcaster.subscribe(8)
    sent = [_bid(seq) for seq in range(1, 301)]  # far beyond one notification's 8000 bytes
    async with committed.begin() as session:
        await broadcast.notify(session, {7: sent})
        # One committed meanwhile reaches the listener, whose connection delivers in
        # commit order: once it is in, nothing of the open transaction has come before it.
        await _notified(committed, 7, 1000)
        first = await asyncio.wait_for(_events(watching), 10)
        assert [e.seq for e in first] == [1000]
    got: list[broadcast.Event] = []
    while len(got) < len(sent):
        got += await asyncio.wait_for(_events(watching), 10)
    assert [e.seq for e in got] == list(range(1, 301))
    assert [e.text for e in got] == [broadcast.encode(m) for m in sent]
    await _notified(committed, 8, 2000)  # after all of trade 7's: the first trade 8 hears
    assert [e.seq for e in await asyncio.wait_for(_events(elsewhere), 10)] == [2000]


async def test_a_rolled_back_transaction_sends_nothing(
    broadcaster: broadcast.Broadcaster, committed: async_sessionmaker[AsyncSession]
) -> None:
    watching = broadcaster.subscribe(7)
    async with committed() as session:
        await broadcast.notify(session, {7: [_bid(1)]})
        await session.rollback()
    async with committed.begin() as session:
        await broadcast.notify(session, {7: [_bid(2)]})
    assert [e.seq for e in await asyncio.wait_for(_events(watching), 10)] == [2]


async def test_replies_a_client_does_not_read_are_bounded_and_events_do_not_crowd_them_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broadcast, "QUEUE_SIZE", 3)
    inbox = broadcast.Inbox()
    for seq in range(1, 6):  # more events than fit: dropped, and said to be missed
        inbox.put(broadcast.Event.of(_bid(seq)))
    assert [inbox.reply(f"reply {i}") for i in range(4)] == [True, True, True, False]
    missed, items = await inbox.take()
    assert missed
    assert items[-3:] == ["reply 0", "reply 1", "reply 2"]
    assert inbox.reply("after a take") is True


def _socket_file(url: URL) -> str | None:
    """The embedded server's unix socket (its directory is the URL's host), if it is one."""
    if "host" not in url.query:
        return None
    [path] = (p for p in Path(str(url.query["host"])).glob(".s.PGSQL.*") if p.suffix != ".lock")
    return str(path)


async def test_a_listener_that_stops_answering_is_given_up_and_what_it_missed_is_told(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keepalive, "KEEPALIVE_INTERVAL", 0.2)
    monkeypatch.setattr(keepalive, "KEEPALIVE_TIMEOUT", 0.5)
    silent = asyncio.Event()  # the network drops everything, closing nothing (half-open)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not silent.is_set():
                writer.write(data)
                await writer.drain()

    socket_file = _socket_file(engine.url)

    async def relay(client: asyncio.StreamReader, back: asyncio.StreamWriter) -> None:
        if socket_file is not None:
            server, to_server = await asyncio.open_unix_connection(socket_file)
        else:
            server, to_server = await asyncio.open_connection(engine.url.host, engine.url.port)
        await asyncio.gather(pipe(client, to_server), pipe(server, back))

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    url = engine.url.set(host="127.0.0.1", port=port).difference_update_query(["host"])
    listening = PostgresBroadcaster(url.render_as_string(hide_password=False))
    await listening.start()
    try:
        watching = listening.subscribe(7)
        silent.set()
        await asyncio.wait_for(listening.lost.wait(), 10)  # found out by its keepalive
        silent.clear()
        await asyncio.wait_for(listening.ready.wait(), 10)
        missed, _ = await asyncio.wait_for(watching.take(), 10)
        assert missed  # so the watcher catches up from the ledger
    finally:
        await listening.stop()
        proxy.close()


async def test_an_event_for_a_waiting_sender_is_written_at_once_and_never_overtakes() -> None:
    written: list[bytes] = []
    inbox = broadcast.Inbox(lambda frame: written.append(frame) is None)
    sender = inbox.take().__await__()
    next(sender)  # the sender waits, all before sent
    first = broadcast.Event.of(_bid(1))
    inbox.put(first)
    assert written == [Frame(Opcode.TEXT, first.text.encode()).serialize(mask=False)]
    inbox.reply("an ack")  # this wakes the sender: what comes next queues behind it
    later = broadcast.Event.of(_bid(2))
    inbox.put(later)
    assert len(written) == 1
    with pytest.raises(StopIteration) as taken:
        sender.send(None)
    assert taken.value.value == (False, ["an ack", later])
