"""The SVG builders of licensing/charts.py: pure functions, tested without a database."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from licensing import charts

SVG = "{http://www.w3.org/2000/svg}"
START, END = dt.date(2026, 2, 13), dt.date(2027, 2, 12)


def periods(amounts: list[str], actual: int) -> tuple[charts.PeriodAmount, ...]:
    out, start = [], START
    for i, amount in enumerate(amounts):
        nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 13)
        out.append(
            charts.PeriodAmount(
                start,
                nxt - dt.timedelta(days=1),
                Decimal(amount),
                "actual" if i < actual else "projected",
            )
        )
        start = nxt
    return tuple(out)


def curve(**kwargs) -> ET.Element:
    defaults = {
        "floor": Decimal("1560000"),
        "ceiling": Decimal("3360000"),
        "as_of": dt.date(2026, 11, 29),
        "term_start": START,
        "term_end": END,
        "title": "Cost <curve> & co",
        "description": "desc",
    }
    series = kwargs.pop("series", [charts.CurveSeries("Projected", periods(["130000"] * 12, 10))])
    svg = charts.cost_curve(series, **{**defaults, **kwargs})
    return ET.fromstring(svg)


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (3_528_000, [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]),
        (1_400_000, [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000, 1_500_000]),
        (95, [0, 20, 40, 60, 80, 100]),
        (0, [0, 1]),
    ],
)
def test_nice_ticks__round_steps_covering_top(top, expected):
    assert charts.nice_ticks(top) == expected


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("3360000"), "$3.36M"), (Decimal("1500000"), "$1.5M"), (250_000, "$250K"), (0, "$0")],
)
def test_short_money__axis_labels(amount, text):
    assert charts.short_money(amount) == text


def test_spread__labels_too_close__pushed_apart_in_order():
    placed = charts._spread([100.0, 104.0, 300.0], gap=15, low=0, high=400)
    assert placed[1] - placed[0] >= 15 and placed[2] == 300.0


def test_spread__crowded_at_the_bottom__stays_inside():
    placed = charts._spread([395.0, 398.0, 399.0], gap=15, low=0, high=400)
    assert max(placed) <= 400 and sorted(placed) == placed
    assert all(b - a >= 15 for a, b in itertools.pairwise(placed))


def test_cost_curve__actual_solid_projected_dashed_band_lines():
    svg = curve()
    actual = svg.findall(f".//{SVG}polyline[@class='series-actual']")
    projected = svg.findall(f".//{SVG}polyline[@class='series-projected plan']")
    assert len(actual) == 1 and len(projected) == 1
    # 10 actual periods: the origin and 10 period ends; the projection starts at the last of them.
    assert len(actual[0].get("points").split()) == 11
    assert len(projected[0].get("points").split()) == 3
    assert actual[0].get("points").split()[-1] == projected[0].get("points").split()[0]
    classes = [e.get("class") for e in svg.iter()]
    assert "band-line floor" in classes and "band-line ceiling" in classes
    texts = [e.text for e in svg.iter(f"{SVG}text")]
    assert "Ceiling $3.36M" in texts and "Floor $1.56M" in texts
    assert "Projected $1.56M" in texts
    assert svg.get("role") == "img"


def test_cost_curve__text__escaped():
    svg = charts.cost_curve(
        [charts.CurveSeries("<b>", periods(["1"] * 12, 12))],
        floor=Decimal(1),
        ceiling=Decimal(2),
        as_of=END,
        term_start=START,
        term_end=END,
        title="a <script> & b",
        description='"quoted"',
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg
    assert svg.__html__() == svg  # templates insert it as markup


def test_cost_curve__labels_near_each_other__never_overlap():
    svg = curve(series=[charts.CurveSeries("Projected", periods(["130000"] * 12, 12))])
    ys = sorted(
        float(e.get("y"))
        for e in svg.iter(f"{SVG}text")
        if (e.get("class") or "").startswith(("band-label", "end-label"))
    )
    assert all(b - a >= 15 for a, b in itertools.pairwise(ys))


def test_cost_curve__compact__narrow_canvas_short_names():
    series = [charts.CurveSeries("Projected", periods(["130000"] * 12, 10), "plan", "Plan")]
    svg = curve(series=series, compact=True, chart_id="c")
    assert svg.get("viewBox").startswith("0 0 360 ")
    assert "compact" in svg.get("class")
    assert "Plan $1.56M" in [e.text for e in svg.iter(f"{SVG}text")]


def test_stacked_bar__segments_in_order_and_marker():
    svg = ET.fromstring(
        charts.stacked_bar(
            [charts.Segment(50, "active", "A"), charts.Segment(25, "held", "H")],
            scale=100,
            markers=[charts.Marker(90, "quota", "Q")],
            label="50 active, 25 held of 100",
        )
    )
    rects = [r for r in svg.iter(f"{SVG}rect") if "seg" in (r.get("class") or "")]
    assert [r.get("class") for r in rects] == ["seg active", "seg held"]
    assert [float(r.get("width")) for r in rects] == [200.0, 100.0]
    assert float(svg.find(f"{SVG}line").get("x1")) == 360.0
    assert svg.get("aria-label") == "50 active, 25 held of 100"


def test_gantt__month_labels_do_not_overlap_and_status_is_written():
    rows = [
        charts.GanttRow("Wave 1", dt.date(2026, 2, 13), dt.date(2026, 3, 31), "completed",
                        "Completed", detail="EOTSS first"),
        charts.GanttRow("EOTSS", dt.date(2026, 2, 13), dt.date(2026, 3, 31), "c-onboarded",
                        "Onboarded", level=1, milestone=dt.date(2026, 2, 13)),
        charts.GanttRow("Wave 5", dt.date(2026, 11, 2), dt.date(2027, 1, 29), "planned",
                        "Planned", note="2 gates failing", warn=True),
    ]  # fmt: skip
    svg = charts.gantt(
        rows, start=START, end=END, today=dt.date(2026, 11, 29), title="t", description="d"
    )
    root = ET.fromstring(svg)
    months = [e for e in root.iter(f"{SVG}text") if e.get("class") == "tick tick-month"]
    xs = [float(e.get("x")) for e in months]
    widths = [charts._text_width(e.text) for e in months]
    assert all(x + w < nxt for x, w, nxt in zip(xs, widths, xs[1:], strict=False))
    assert months[0].text == "Mar 2026"  # February is only half in view: no room for its label
    words = [e.text for e in root.iter(f"{SVG}text")]
    assert "Completed · EOTSS first" in words
    assert "Planned · 2 gates failing" in words
    assert any(w and w.startswith("Today 29 Nov") for w in words)
    assert re.search(r'class="bar status-planned wave"', svg)
