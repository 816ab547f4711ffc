"""The fast canonical check agrees with the rfc8785 library on any JSON value."""

import json

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from techmarket.ledger.canonical import (
    MalformedEntry,
    canonical,
    decode_entry,
    parse_canonical,
)
from tests.ledger.vectors import TESTDATA

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _library_verdict(raw: bytes) -> bool:
    try:
        return bool(rfc8785.dumps(json.loads(raw)) == raw)
    except (rfc8785.CanonicalizationError, ValueError):
        return False


@settings(max_examples=400)
@given(values)
@example({"\U0001f600": 1, "\ufb33": 2})  # UTF-16 order differs from code point order
@example({"a": 2**53, "b": -(2**53) + 1})
@example({"x": 1.0, "y": 1e30, "z": 0.1})
@example({"ctl": "\x00\x1f\x7f\u2028</script>"})
def test_agrees_with_the_library(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        expected = None
    else:
        assert canonical(value) == expected
    for raw in (
        expected,
        json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps(value).encode(),
    ):
        if raw is None:
            continue
        assert parse_canonical(raw)[1] == _library_verdict(raw), raw


@pytest.mark.parametrize("name", ["arrays", "french", "structures", "unicode", "values", "weird"])
def test_jcs_outputs_are_recognised_as_canonical(name: str) -> None:
    output = (TESTDATA / "jcs" / "output" / f"{name}.json").read_bytes()
    assert parse_canonical(output)[1]
    loose = (TESTDATA / "jcs" / "input" / f"{name}.json").read_bytes()
    assert not parse_canonical(loose)[1]


def test_entries_must_be_canonical_and_complete() -> None:
    good = rfc8785.dumps(
        {"v": 1, "index": 0, "ts": "t", "type": "x", "subject": "s", "data": {}, "prev": "0"}
    )
    assert decode_entry(good)["index"] == 0
    with pytest.raises(MalformedEntry, match="canonical"):
        decode_entry(good.replace(b'"v":1', b'"v": 1'))
    with pytest.raises(MalformedEntry, match="keys"):
        decode_entry(rfc8785.dumps({"v": 1}))
    with pytest.raises(MalformedEntry, match="not JSON"):
        decode_entry(b"{")
