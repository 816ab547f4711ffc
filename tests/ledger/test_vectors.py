"""The ledger's pure core against public test vectors nobody on this project wrote."""

from typing import Any

import pytest

from techmarket.ledger import merkle
from techmarket.ledger.canonical import canonical
from techmarket.ledger.note import NoteError, Signer, Verifier, open_note
from tests.ledger.vectors import LEAVES, TESTDATA, b64, cases


@pytest.mark.parametrize(("name", "case"), cases("inclusion"), ids=lambda v: str(v)[:60])
def test_rfc6962_inclusion(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        merkle.verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            b64(case["leafHash"]),
            [b64(p) for p in case["proof"] or []],
            b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize(("name", "case"), cases("consistency"), ids=lambda v: str(v)[:60])
def test_rfc6962_consistency(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        merkle.verify_consistency(
            case["size1"],
            case["size2"],
            b64(case["root1"]),
            b64(case["root2"]),
            [b64(p) for p in case["proof"] or []],
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()


def test_happy_vectors_are_exactly_what_we_generate() -> None:
    """Our proof generation reproduces the vectors' own proofs for the published leaves."""
    leaves = [merkle.leaf_hash(x) for x in LEAVES]
    generated = 0
    for _, case in cases("inclusion"):
        if case["wantErr"] or case["treeSize"] > len(leaves) or not case["proof"]:
            continue
        tree = leaves[: case["treeSize"]]
        if merkle.root_from_leaves(tree) != b64(case["root"]):
            continue  # a vector over other leaves
        ranges = merkle.inclusion_ranges(case["leafIdx"], case["treeSize"])
        proof = [merkle.root_from_leaves(tree[a:z]) for a, z in ranges]
        assert proof == [b64(p) for p in case["proof"]]
        generated += 1
    assert generated > 0


def test_known_roots() -> None:
    leaves = [merkle.leaf_hash(x) for x in LEAVES]
    assert merkle.root_from_leaves(leaves[:1]).hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert merkle.root_from_leaves(leaves).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )
    assert merkle.root_from_leaves([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_consistency_from_size_zero_is_refused() -> None:
    """Policy (as transparency-dev/merkle): an auditor starts from its first saved checkpoint."""
    with pytest.raises(merkle.ProofError, match="size 0"):
        merkle.consistency_ranges(0, 5)


JCS = sorted((TESTDATA / "jcs" / "input").glob("*.json"))


@pytest.mark.parametrize("path", JCS, ids=lambda p: p.name)
def test_jcs(path: Any) -> None:
    import json

    expected = bytes.fromhex((TESTDATA / "jcs" / "outhex" / f"{path.stem}.txt").read_text())
    assert canonical(json.loads(path.read_text())) == expected
    assert (TESTDATA / "jcs" / "output" / path.name).read_bytes() == expected


def _note_vector() -> dict[str, str]:
    import json

    return dict(json.loads((TESTDATA / "signed-note" / "ed25519-vectors.json").read_text()))


def test_signed_note_byte_for_byte() -> None:
    v = _note_vector()
    signer = Signer.parse(v["signer_key"])
    assert signer.vkey == v["verifier_key"]
    assert signer.sign(v["text"]) == v["signed_note"]


def test_signed_note_verifies_and_ignores_unknown_keys() -> None:
    v = _note_vector()
    verifier = Verifier.parse(v["verifier_key"])
    assert open_note(v["signed_note"], verifier) == v["text"]
    cosigned = v["signed_note"] + v["other_signature_line"]
    assert open_note(cosigned, verifier) == v["text"]
    # Signed only by the unknown key: not accepted.
    only_other = v["text"] + "\n" + v["other_signature_line"]
    with pytest.raises(NoteError, match="not signed by PeterNeumann"):
        open_note(only_other, verifier)
    # And the other key verifies its own signature.
    assert open_note(cosigned, Verifier.parse(v["other_verifier_key"])) == v["text"]


def test_tampered_note_is_refused() -> None:
    v = _note_vector()
    tampered = v["signed_note"].replace("cryptography", "cryptographY")
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(tampered, Verifier.parse(v["verifier_key"]))
