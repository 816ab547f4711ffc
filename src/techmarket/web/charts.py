"""Charts drawn by the server as inline SVG: bar charts of categories and line charts of
months. Pure (series in, markup out): no script, no files, nothing fetched.

Each chart is an image to assistive technology (``role="img"``, its title and a one-line
description); the numbers themselves are in the table the page puts beside it. The
drawing is sized in a 360-unit-wide box that the page scales to its column (at most
30rem): at a phone's width the 13-unit ticks are still 12 px, on a desktop 17 px. Colours
keep at least 3:1 against white (WCAG 1.4.11), text 7:1.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from markupsafe import Markup

WIDTH = 360
FONT = 15  # labels
SMALL = 13  # axis ticks, values
INK = "#1b1f24"
MUTED = "#4d5560"
GRID = "#d5dce3"
# One colour and one marker per series, so a series is told apart without its colour too.
COLOURS = ("#0b4f8a", "#b35600", "#1e6b34")  # 8.6:1, 4.5:1, 6.4:1 against white
MARKERS = ("circle", "square", "diamond")
EMPTY = "暂无数据"

Format = Callable[[int], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category (or month) of its chart."""

    name: str
    values: Sequence[int]


def text_width(text: str, size: float) -> float:
    """The width ``text`` takes at font ``size``: wide (CJK) characters a full em, the
    rest about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text)


def nice_ticks(maximum: int, count: int = 4) -> list[int]:
    """Axis ticks from 0 in steps of 1, 2 or 5 × 10ⁿ, the last at or above ``maximum``,
    about ``count`` steps."""
    if maximum <= 0:
        return [0, 1]
    rough = maximum / count
    power = 10 ** max(0, math.floor(math.log10(rough)))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return [step * i for i in range(math.ceil(maximum / step) + 1)]


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Format = "{:,}".format,
) -> Markup:
    """Horizontal bars, one group per category (a bar per series), longest label readable
    on a phone; each bar's value written at its end, an axis of ``fmt`` ticks below."""
    values = [v for s in series for v in s.values]
    if not categories or not values:
        return _empty(chart_id, title)
    bar = 20 if len(series) == 1 else 16
    band = bar * len(series) + 10
    label_width = min(max(text_width(c, FONT) for c in categories), WIDTH * 0.4)
    value_width = max(text_width(fmt(v), SMALL) for v in values) + 6
    legend = 26 if len(series) > 1 else 0
    left = label_width + 10
    plot = WIDTH - left - value_width - 4
    top = legend + 4
    height = top + band * len(categories) + 26
    ticks = nice_ticks(max(values))
    scale = plot / ticks[-1]
    top_index = max(range(len(values)), key=values.__getitem__)
    leader = categories[top_index % len(categories)] if len(series) == 1 else None
    svg = _svg(chart_id, title, height, _bar_description(series, categories, fmt, leader))
    _legend(svg, series, "bar")
    axis_y = top + band * len(categories)
    for tick in ticks:
        x = left + tick * scale
        _line(svg, x, top, x, axis_y, GRID)
        _text(svg, x, axis_y + 16, fmt(tick), SMALL, MUTED, anchor="middle")
    for row, category in enumerate(categories):
        y = top + row * band + 5
        _text(svg, label_width + 4, y + band / 2, _clip(category, label_width), FONT, INK, "end")
        for n, one in enumerate(series):
            value = one.values[row]
            length = value * scale
            ET.SubElement(
                svg,
                "rect",
                {
                    "class": "bar",
                    "x": _n(left),
                    "y": _n(y + n * bar),
                    "width": _n(length),
                    "height": _n(bar - 2),
                    "fill": COLOURS[n % len(COLOURS)],
                },
            )
            _text(svg, left + length + 4, y + n * bar + bar / 2, fmt(value), SMALL, INK)
    _line(svg, left, top, left, axis_y, MUTED)
    _line(svg, left, axis_y, left + plot, axis_y, MUTED)
    return _markup(svg)


def line_chart(
    chart_id: str,
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    fmt: Format = "{:,}".format,
) -> Markup:
    """A line per series over ``periods`` (months, oldest first), a marker at each value;
    as many period labels as fit, ``fmt`` ticks up the side."""
    values = [v for s in series for v in s.values]
    if not periods or not values:
        return _empty(chart_id, title)
    ticks = nice_ticks(max(values))
    legend = 26 if len(series) > 1 else 0
    left = max(text_width(fmt(t), SMALL) for t in ticks) + 10
    right = text_width(periods[-1], SMALL) / 2 + 4
    top, plot_height = legend + 10, 150
    bottom = top + plot_height
    plot = WIDTH - left - right
    svg = _svg(chart_id, title, bottom + 26, _line_description(series, periods, fmt))
    _legend(svg, series, "line")
    step = plot / max(1, len(periods) - 1)

    def x_of(i: int) -> float:
        return left + (i * step if len(periods) > 1 else plot / 2)

    def y_of(value: int) -> float:
        return bottom - value * plot_height / ticks[-1]

    for tick in ticks:
        _line(svg, left, y_of(tick), left + plot, y_of(tick), GRID)
        _text(svg, left - 6, y_of(tick), fmt(tick), SMALL, MUTED, "end")
    widest = max(text_width(p, SMALL) for p in periods) + 8
    every = max(1, math.ceil(widest / step)) if len(periods) > 1 else 1
    for i, period in enumerate(periods):
        if i % every == 0:
            _text(svg, x_of(i), bottom + 16, period, SMALL, MUTED, "middle")
    _line(svg, left, top, left, bottom, MUTED)
    _line(svg, left, bottom, left + plot, bottom, MUTED)
    for n, one in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = [(x_of(i), y_of(v)) for i, v in enumerate(one.values)]
        ET.SubElement(
            svg,
            "polyline",
            {
                "class": "line",
                "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in points),
                "fill": "none",
                "stroke": colour,
                "stroke-width": "2.5",
                **({"stroke-dasharray": "6 3"} if n % 2 else {}),
            },
        )
        for x, y in points:
            _marker(svg, MARKERS[n % len(MARKERS)], x, y, colour)
    return _markup(svg)


def _bar_description(
    series: Sequence[Series], categories: Sequence[str], fmt: Format, leader: str | None
) -> str:
    if leader is None:
        return f"条形图，{'、'.join(s.name for s in series)}按{len(categories)}项对比，数值见下表。"
    best = max(series[0].values)
    return f"条形图，共{len(categories)}项，最高为{leader}（{fmt(best)}），数值见下表。"


def _line_description(series: Sequence[Series], periods: Sequence[str], fmt: Format) -> str:
    span = periods[0] if len(periods) == 1 else f"{periods[0]}至{periods[-1]}"
    peaks = []
    for one in series:
        peak = max(range(len(one.values)), key=one.values.__getitem__)
        peaks.append(f"{one.name}最高为{periods[peak]}（{fmt(one.values[peak])}）")
    return f"折线图，{span}，{'；'.join(peaks)}，数值见下表。"


def _svg(chart_id: str, title: str, height: float, description: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "chart",
            "viewBox": f"0 0 {WIDTH} {_n(height)}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    return svg


def _empty(chart_id: str, title: str) -> Markup:
    svg = _svg(chart_id, title, 60, EMPTY)
    _text(svg, WIDTH / 2, 30, EMPTY, FONT, MUTED, "middle")
    return _markup(svg)


def _legend(svg: ET.Element, series: Sequence[Series], kind: str) -> None:
    if len(series) < 2:
        return
    x = 0.0
    for n, one in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        if kind == "bar":
            attrs = {"x": _n(x), "y": "5", "width": "13", "height": "13", "fill": colour}
            ET.SubElement(svg, "rect", attrs)
        else:
            _marker(svg, MARKERS[n % len(MARKERS)], x + 6, 11, colour)
        _text(svg, x + 16, 11, one.name, FONT, INK)
        x += 16 + text_width(one.name, FONT) + 18


def _marker(svg: ET.Element, shape: str, x: float, y: float, colour: str) -> None:
    if shape == "circle":
        ET.SubElement(svg, "circle", {"cx": _n(x), "cy": _n(y), "r": "4", "fill": colour})
    elif shape == "square":
        attrs = {"x": _n(x - 4), "y": _n(y - 4), "width": "8", "height": "8", "fill": colour}
        ET.SubElement(svg, "rect", attrs)
    else:
        points = f"{_n(x)},{_n(y - 5)} {_n(x + 5)},{_n(y)} {_n(x)},{_n(y + 5)} {_n(x - 5)},{_n(y)}"
        ET.SubElement(svg, "polygon", {"points": points, "fill": colour})


def _text(
    svg: ET.Element, x: float, y: float, text: str, size: int, colour: str, anchor: str = "start"
) -> None:
    attrs = {
        "x": _n(x),
        "y": _n(y),
        "font-size": str(size),
        "fill": colour,
        "dominant-baseline": "central",
    }
    if anchor != "start":
        attrs["text-anchor"] = anchor
    ET.SubElement(svg, "text", attrs).text = text


def _line(svg: ET.Element, x1: float, y1: float, x2: float, y2: float, colour: str) -> None:
    ET.SubElement(
        svg,
        "line",
        {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2), "stroke": colour},
    )


def _clip(text: str, width: float) -> str:
    """``text`` cut to ``width`` with an ellipsis (the table beside has it in full)."""
    while text_width(text, FONT) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _markup(svg: ET.Element) -> Markup:
    return Markup(ET.tostring(svg, encoding="unicode"))  # noqa: S704 - built by ElementTree, text escaped
