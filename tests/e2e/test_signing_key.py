"""A process given another signing key than the one that signed its ledger refuses to
start: it would sign checkpoints that auditors holding the ledger's public key reject."""

from pathlib import Path

import httpx

from techmarket.ledger.note import Signer
from tests.e2e.servers import Server, serving


def test_a_process_with_another_key_refuses_to_start(tmp_path: Path) -> None:
    with serving(tmp_path) as first:
        assert httpx.get(f"{first.url}/api/v1/ledger/checkpoint").status_code == 200
    key = tmp_path / "ledger.key"
    origin = Signer.parse(key.read_text()).name
    key.write_text(Signer.generate(origin).skey + "\n")

    refused = Server(tmp_path)
    try:
        assert refused.process.wait(90) == 3  # uvicorn: the start failed
    finally:
        refused.kill()
    log = refused.log.read_text()
    assert "did not sign the latest checkpoint (tree size 0" in log, log[-3000:]
    assert str(key) in log
