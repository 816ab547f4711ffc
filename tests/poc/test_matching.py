"""Matching puts an achievement a centre verified ahead of an otherwise equal one, and says
why; it never makes a match of what would not be one."""

from __future__ import annotations

from techmarket.listings import matching
from techmarket.listings.matching import Profile, Reason
from techmarket.listings.taxonomy import Industry

DEMAND = Profile(
    1,
    "寻求固态电解质技术",
    frozenset({"固态", "电解质", "电池"}),
    Industry.new_materials,
    "330100",
    budget_max_fen=100,
)


def _achievement(id_: int, words: set[str], verified_by: str | None = None) -> Profile:
    return Profile(
        id_,
        f"成果{id_}",
        frozenset(words),
        Industry.new_materials,
        "330100",
        50,
        None,
        None,
        verified_by,
    )


def test_a_verified_achievement_comes_first_with_its_reason() -> None:
    plain = _achievement(2, {"固态", "电解质"})
    verified = _achievement(3, {"固态", "电解质"}, "某概念验证中心")
    first, second = matching.rank(DEMAND, [plain, verified], demand_side=True, limit=5)
    assert (first.id, second.id) == (3, 2)
    assert Reason("poc_verified", "某概念验证中心") in first.reasons
    assert all(r.code != "poc_verified" for r in second.reasons)


def test_verification_does_not_lift_a_non_match() -> None:
    far = Profile(
        4, "成果4", frozenset({"电池"}), Industry.marine, "330200", 500, None, None, "中心"
    )
    assert matching.score(DEMAND, far, demand_side=True).score < matching.MIN_SCORE
    assert matching.rank(DEMAND, [far], demand_side=True, limit=5) == []
