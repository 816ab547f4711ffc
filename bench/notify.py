"""How many notifying commits a second this machine's PostgreSQL sustains: pgbench
committing a one-row update per transaction, with and without a NOTIFY on the service's
channel in it (a bid's payload), while two listeners (two serving processes) read the
channel. PostgreSQL serialises the commits of notifying transactions on one global lock,
so this is the ceiling of events committed per second whatever the number of processes.

    .venv/bin/python -m bench.notify [--clients 1,8,32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio

import asyncpg
from sqlalchemy import make_url, text

from bench.common import bench_database, pgbench
from techmarket.trading import broadcast

LISTENERS = 2
ROWS = 1000
PAYLOAD = (
    '[{"trade_id":0,"messages":[{"type":"bid","seq":1,"amount_fen":100000,'
    '"bidder_alias":"K7QX","at":"2026-11-23T20:00:00+00:00",'
    '"ends_at":"2026-11-23T21:00:00+00:00","ledger_index":1}]}]'
)
UPDATE = "UPDATE bench_counters SET n = n + 1 WHERE id = :row;"
SCRIPTS = {
    "without NOTIFY": f"\\set row random(1, {ROWS})\nBEGIN;\n{UPDATE}\nEND;\n",
    "with NOTIFY": (
        f"\\set row random(1, {ROWS})\nBEGIN;\n{UPDATE}\n"
        f"SELECT pg_notify('{broadcast.CHANNEL}', '{PAYLOAD}');\nEND;\n"
    ),
}


async def main(clients: list[int], seconds: int) -> None:
    async with bench_database("techmarket_bench_notify") as (engine, embedded):
        assert embedded is not None, "pgbench needs the embedded server's binaries"
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE bench_counters (id int PRIMARY KEY, n int)"))
            await conn.execute(
                text("INSERT INTO bench_counters SELECT i, 0 FROM generate_series(1, :n) i"),
                {"n": ROWS},
            )
        url = engine.url.render_as_string(hide_password=False)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        heard = [0] * LISTENERS
        listeners = []
        for i in range(LISTENERS):
            listener = await asyncpg.connect(dsn)

            def count(*_: object, i: int = i) -> None:
                heard[i] += 1

            await listener.add_listener(broadcast.CHANNEL, count)
            listeners.append(listener)
        for n in clients:
            tps = {
                name: await asyncio.to_thread(pgbench, url, embedded.bin_dir, script, n, seconds)
                for name, script in SCRIPTS.items()
            }
            print(
                f"{n:3d} clients: {tps['with NOTIFY']:7.0f} notifying commits/s, "
                f"{tps['without NOTIFY']:7.0f} without; "
                f"ratio with / without {tps['with NOTIFY'] / tps['without NOTIFY']:.2f}"
            )
        for listener in listeners:
            await listener.close()
        print(f"notifications heard by each of {LISTENERS} listeners: {heard}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.clients.split(",")], args.seconds))
