"""Patent numbers, search terms and match scoring: the pure modules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techmarket.listings import matching, patent_numbers, text
from techmarket.listings.taxonomy import Industry


@pytest.mark.parametrize(
    ("given_", "normalised"),
    [
        ("ZL 2023 1 0123456.6", "202310123456.6"),
        ("CN202310123456.6", "202310123456.6"),
        ("202310123456.6", "202310123456.6"),
        ("97101765.4", "97101765.4"),  # the older 8-digit form
        ("zl 97 1 01765.4", "97101765.4"),
    ],
)
def test_valid_application_numbers(given_: str, normalised: str) -> None:
    assert patent_numbers.normalise(given_) == normalised


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("ZL 2023 1 0123456.X", "check character is X, expected 6"),
        ("97101765.5", "expected 4"),
        ("2023101234.6", "not a CN application number"),
        ("ZL 2023 5 0123456.1", "unknown application type 5"),
        ("US 10,123,456", "not a CN application number"),
    ],
)
def test_invalid_application_numbers(bad: str, message: str) -> None:
    with pytest.raises(patent_numbers.PatentNumberError, match=message):
        patent_numbers.normalise(bad)


@given(st.from_regex(r"20[0-2][0-9][12389][0-9]{7}", fullmatch=True))
def test_computed_check_character_round_trips(digits: str) -> None:
    number = f"{digits}.{patent_numbers.check_character(digits)}"
    assert patent_numbers.normalise("ZL " + number) == number


def test_two_character_terms_are_found_inside_longer_words() -> None:
    vector = text.terms("锂离子电池正极材料")
    for two in ("电池", "离子", "正极", "材料", "池正"):
        assert two in vector


def test_queries_need_every_word() -> None:
    assert text.tsquery_literal("电池 材料") == "'电池' & '材料'"
    assert text.tsquery_literal("的 了") is None  # stop words only
    assert text.tsquery_literal("MOSFET") == "'mosfet':*"


def _profile(i: int, words: str, industry: Industry, region: str, **kw: int) -> matching.Profile:
    return matching.Profile(i, f"r{i}", frozenset(text.words(words)), industry, region, **kw)


def test_the_obvious_match_ranks_first_and_says_why() -> None:
    demand = _profile(
        1,
        "寻求动力电池正极材料技术",
        Industry.new_materials,
        "330100",
        budget_max_fen=80_000_000,
    )
    related = _profile(
        10, "锂电池正极材料制备", Industry.new_materials, "330106", price_fen=50_000_000
    )
    far = _profile(11, "水稻抗病育种方法", Industry.agriculture, "510100", price_fen=1_000)
    half = _profile(
        12, "动力电池回收", Industry.energy_saving_environment, "440300", price_fen=500_000_000
    )
    ranked = matching.rank(demand, [far, half, related], demand_side=True, limit=3)
    assert [m.id for m in ranked] == [10, 12]  # the rice record is noise, left out
    reasons = {r.code for r in ranked[0].reasons}
    assert reasons == {"shared_terms", "same_industry", "same_city", "within_budget"}
    assert "正极" in next(r.detail for r in ranked[0].reasons if r.code == "shared_terms")
    assert not any(r.code == "within_budget" for r in ranked[1].reasons)  # over budget


def test_region_affinity() -> None:
    assert matching.region_affinity("330106", "330106")[1].code == "same_region"  # type: ignore[union-attr]
    assert matching.region_affinity("330106", "330102")[1].code == "same_city"  # type: ignore[union-attr]
    assert matching.region_affinity("330106", "330212")[1].code == "same_province"  # type: ignore[union-attr]
    assert matching.region_affinity("330106", "110101") == (0.0, None)


def test_shared_terms_name_the_titles_words_before_incidental_ones() -> None:
    """What a person reads as the reason: the technology in the title (核级、萃取、分离),
    not whichever shared words are longest (万分之、低于 from a specification)."""
    title = "核级锆铪高效萃取分离技术"
    summary = "核级海绵锆中铪含量低于百万分之五十，萃取剂可循环使用。"
    achievement = matching.Profile(
        1, title, frozenset(text.words(f"{title} {summary}")), Industry.new_materials, "330106"
    )
    demand_title = "寻求核级锆铪萃取分离工艺"
    description = "拟建核级海绵锆生产线，铪含量须低于百万分之五十。"
    demand = matching.Profile(
        2,
        demand_title,
        frozenset(text.words(f"{demand_title} {description}")),
        Industry.new_materials,
        "330106",
    )
    found = matching.score(achievement, demand, demand_side=False)
    shared = next(r.detail for r in found.reasons if r.code == "shared_terms")
    assert shared.startswith("核级、萃取、分离、")
