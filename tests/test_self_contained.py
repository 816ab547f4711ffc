"""A fresh clone with nothing beside it tests on its own: no file reads outside the
repository, and every copied set of test vectors carries its upstream licence and origin."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "tests" / "ledger" / "testdata"

# A relative climb out of a folder, or an absolute path into our own machines' layout.
OUTSIDE = re.compile(r"\.\./|/work/|/shared/testdata|/home/")
PARENTS = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]")


def _scanned() -> list[Path]:
    files = [p for p in (ROOT / ".ci").iterdir() if p.is_file()]
    for folder in ("src", "tests", "bench"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.is_file()
            and p.suffix in {".py", ".sh", ".toml", ".cfg", ".ini", ""}
            and TESTDATA not in p.parents
        ]
    return files


def test_nothing_reads_outside_the_repository() -> None:
    found = []
    for path in _scanned():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            if OUTSIDE.search(line) and path != Path(__file__).resolve():
                found.append(where)
            for climb in PARENTS.findall(line):
                target = path.parents[int(climb)]
                if target != ROOT and ROOT not in target.parents:
                    found.append(where)
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_every_vector_set_has_its_licence_and_origin() -> None:
    readme = (TESTDATA / "README.md").read_text()
    sets = sorted(p for p in TESTDATA.iterdir() if p.is_dir())
    assert sets, "the test vectors are in the repository"
    for folder in sets:
        licence = folder / "LICENSE"
        assert licence.is_file() and licence.stat().st_size > 200, f"{folder.name}: no LICENSE"
        assert f"`{folder.name}/LICENSE`" in readme, f"{folder.name}: origin not in README.md"
