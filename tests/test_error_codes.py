"""Every refusal a client can act on has its own stable code, listed once: the DomainError
classes (``errors.problem_codes``), which the README's table and the pages' Chinese
messages follow."""

import ast
import re
from pathlib import Path

from techmarket import errors
from techmarket.app import create_app
from techmarket.web.messages import DOMAIN

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "techmarket"
# The base classes: a raise of one of them tells the client only the status.
GENERIC = {"DomainError", "Conflict", "InvalidInput", "NotFound", "Forbidden", "BadRequest"}
BASE_CODES = {"error", "conflict", "invalid_input", "not_found", "forbidden", "bad_request"}


def _codes() -> dict[str, int]:
    create_app()  # every module that defines a refusal is imported
    return {code: status for status, codes in errors.problem_codes().items() for code in codes}


def test_no_service_raises_a_generic_refusal() -> None:
    generic = []
    for path in SRC.rglob("*.py"):
        if "web" in path.relative_to(SRC).parts:
            continue  # pages answer people in Chinese, not clients by code
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id in GENERIC
            ):
                generic.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert generic == []


def _readme_codes() -> dict[str, int]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Error codes", 1)[1].split("\n#", 1)[0]
    return {
        found[1]: int(found[2])
        for found in re.finditer(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, re.MULTILINE)
    }


def test_the_readme_lists_every_code_with_its_status() -> None:
    assert _readme_codes() == _codes()


def test_every_specific_code_has_a_chinese_message() -> None:
    framework = {c for codes in errors._FRAMEWORK_CODES.values() for c in codes}
    missing = sorted(set(_codes()) - BASE_CODES - framework - DOMAIN.keys())
    assert missing == []
