"""Real ``techmarket serve`` processes for end-to-end tests."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url

from techmarket.db import create_database
from techmarket.demo import UNSAFE_FLAG
from tests.conftest import external_server_url, run_scoped


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_of(data_dir: Path) -> str | None:
    """With TECHMARKET_DATABASE_URL set, the database on that server of the processes
    serving from ``data_dir`` (one data directory, one database, as with the embedded
    server); None otherwise."""
    server = external_server_url()
    if server is None:
        return None
    name = run_scoped("techmarket_e2e_" + hashlib.sha256(bytes(data_dir)).hexdigest()[:12])
    with ThreadPoolExecutor(1) as thread:  # a loop of its own, also under a test's loop
        thread.submit(asyncio.run, create_database(server, name)).result()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


class Server:
    def __init__(
        self,
        data_dir: Path,
        *args: str,
        env: dict[str, str] | None = None,
        embedded: bool = False,
    ) -> None:
        """``embedded``: the embedded server even when the tests run on an external one."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TECHMARKET_")}
        environment |= {"TECHMARKET_DATA_DIR": str(data_dir), **(env or {})}
        database = None if embedded else database_of(data_dir)
        if database:  # a database of the test's own, so the demo may go there
            environment["TECHMARKET_DATABASE_URL"] = database
            args = (*args, UNSAFE_FLAG) if "--demo" in args else args
        self.log = data_dir / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "techmarket.cli", "serve", "--port", str(self.port), *args],
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> bool:
        """SIGTERM, as a service manager would; True if it shut down gracefully."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return "Application shutdown complete" in self.log.read_text()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@contextmanager
def serving(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, embedded: bool = False
) -> Iterator[Server]:
    server = Server(data_dir, *args, env=env, embedded=embedded)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
