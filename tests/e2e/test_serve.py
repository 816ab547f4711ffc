"""`techmarket serve` as a person runs it: embedded PostgreSQL, several processes, restarts."""

from pathlib import Path

import httpx

from techmarket.demo import DEMO_PASSWORD
from tests.e2e.servers import Server, serving

BUYER = "buyer@weilai.demo.techmarket.cn"


def _token(url: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": BUYER, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _me(url: str, token: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_two_processes_on_one_embedded_database(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    with serving(tmp_path, "--demo", embedded=True) as first:
        second = Server(tmp_path, "--demo", embedded=True)  # joins the running embedded server
        second.wait_ready()
        token = _token(first.url)
        assert _me(second.url, token).status_code == 200  # one service, one database

        assert first.stop()
        assert httpx.get(f"{second.url}/readyz").status_code == 200  # still held by the second
        assert _me(second.url, token).json()["user"]["email"] == BUYER
        assert second.stop()
    # The last process out stopped PostgreSQL cleanly.
    assert not (pgdata / "postmaster.pid").exists()

    with serving(
        tmp_path, embedded=True
    ) as again:  # same data directory, data intact, token still valid
        assert _me(again.url, token).status_code == 200
        docs = httpx.get(f"{again.url}/openapi.json").json()
        assert "/api/v1/auth/token" in docs["paths"]
