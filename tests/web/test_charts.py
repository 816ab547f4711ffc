"""The server's SVG charts, read back as SVG: bars in proportion, axes labelled, lines
through their values, empty series said so; and amounts at a glance."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import defusedxml.ElementTree
import pytest

from techmarket.web.charts import EMPTY, Series, bar_chart, line_chart, nice_ticks
from techmarket.web.display import yuan_short

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return defusedxml.ElementTree.fromstring(markup)


def texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def bars(svg: ET.Element) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_bars_are_in_proportion_to_their_values_and_labelled() -> None:
    svg = parse(
        bar_chart(
            "modes",
            "按交易方式的成交金额",
            ["协议定价", "挂牌交易", "竞价拍卖"],
            [Series("成交金额", [32_000_000_000, 1_800_000_000, 15_700_000_000])],
            yuan_short,
        )
    )
    widths = [float(b.get("width", "")) for b in bars(svg)]
    assert widths[0] / widths[2] == pytest.approx(320 / 157, rel=0.01)
    assert widths[0] / widths[1] == pytest.approx(320 / 18, rel=0.01)
    assert all(float(b.get("x", "")) == float(bars(svg)[0].get("x", "")) for b in bars(svg))
    shown = texts(svg)
    assert {"协议定价", "挂牌交易", "竞价拍卖"} <= set(shown)  # category labels
    assert {"¥3.2亿", "¥1,800万", "¥1.57亿"} <= set(shown)  # each bar's value
    assert {"¥0", "¥1亿", "¥2亿", "¥3亿", "¥4亿"} <= set(shown)  # the axis, from 0
    # An image to assistive technology, named by its title, described in one line.
    assert svg.get("role") == "img"
    title_id, desc_id = (svg.get("aria-labelledby") or "").split()
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and title.get("id") == title_id
    assert title.text == "按交易方式的成交金额"
    assert desc is not None and desc.get("id") == desc_id
    assert "最高为协议定价（¥3.2亿）" in (desc.text or "")


def test_grouped_bars_compare_series_on_one_scale_with_a_legend() -> None:
    svg = parse(
        bar_chart(
            "listings",
            "按行业",
            ["新材料", "现代农业"],
            [Series("成果", [40, 10]), Series("需求", [20, 5])],
        )
    )
    widths = [float(b.get("width", "")) for b in bars(svg)]
    # Per category, a bar per series: 40 and 20 for 新材料, 10 and 5 for 现代农业.
    assert widths == pytest.approx([widths[0] * v / 40 for v in (40, 20, 10, 5)], rel=0.01)
    assert {"成果", "需求"} <= set(texts(svg))  # the legend names the series


def test_a_long_label_is_shortened_to_fit_the_chart() -> None:
    name = "新疆维吾尔自治区 克孜勒苏柯尔克孜自治州"
    svg = parse(bar_chart("c", "按城市", [name, "北京市"], [Series("金额", [3, 1])]))
    label = next(t for t in texts(svg) if t.startswith("新疆"))
    assert label.endswith("…") and len(label) < len(name)


def test_line_passes_through_each_month_value() -> None:
    months = ["2026年9月", "2026年10月", "2026年11月"]
    svg = parse(line_chart("m", "每月成交金额", months, [Series("金额", [0, 50, 100])]))
    line = next(svg.iter(f"{SVG}polyline"))
    points = [tuple(map(float, p.split(","))) for p in (line.get("points") or "").split()]
    xs, ys = zip(*points, strict=True)
    assert xs[0] < xs[1] < xs[2] and xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    # Heights in proportion: 0 on the axis, 50 halfway to 100 (SVG y grows downwards).
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])
    assert ys[0] > ys[2]
    assert set(months) <= set(texts(svg))
    assert {"0", "100"} <= set(texts(svg))


def test_many_months_show_only_labels_that_fit() -> None:
    months = [f"{2020 + i // 12}年{i % 12 + 1}月" for i in range(60)]
    svg = parse(line_chart("m", "每月", months, [Series("数", list(range(60)))]))
    shown = [t for t in texts(svg) if t in months]
    assert 3 <= len(shown) <= 8 and shown[0] == months[0]


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
def test_an_empty_series_says_there_is_no_data(chart: object) -> None:
    draw = bar_chart if chart is bar_chart else line_chart
    svg = parse(draw("e", "按省份", [], [Series("金额", [])]))
    assert EMPTY in texts(svg)
    assert not bars(svg) and svg.find(f"{SVG}polyline") is None
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text == EMPTY


def test_ticks_are_round_and_cover_the_maximum() -> None:
    assert nice_ticks(320) == [0, 100, 200, 300, 400]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(0) == [0, 1]


def test_amounts_at_a_glance_in_yi_and_wan() -> None:
    assert yuan_short(49_500_000_000) == "¥4.95亿"
    assert yuan_short(1_800_000_000) == "¥1,800万"
    assert yuan_short(123_456_789_012) == "¥12.35亿"  # rounded half up
    assert yuan_short(680_000) == "¥6,800"
    assert yuan_short(680_050) == "¥6,800.50"
