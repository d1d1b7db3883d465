"""Server-side SVG charts for the web pages, as pure functions.

Each builder takes plain figures (dates, counts, `Decimal` amounts already computed by the cost
engine or the selectors) and returns the markup of one `<svg>` element: no database, no request,
no JavaScript. The pages put the markup inline, so a chart is part of the document, scales with
it, obeys the page's stylesheet (colours live in CSS classes, never in `style` attributes, which
the Content-Security-Policy forbids) and can be tested by parsing it.

Every text and attribute value is escaped here, so a builder returns `Svg`: a `str` that says,
through `__html__`, that it is markup already (Django's templates then insert it as is). Money
is only converted to float to place a point on the canvas, never to print it: labels come from
the `Decimal` figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

# ---------------------------------------------------------------------------------------------
# Markup helpers
# ---------------------------------------------------------------------------------------------


class Svg(str):
    """Markup built by this module, every text in it escaped: templates insert it unescaped."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


def _num(x: float) -> str:
    """A coordinate with at most one decimal, without a trailing `.0`."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(name)
            continue
        if isinstance(value, float):
            value = _num(value)
        parts.append(f'{name}="{escape(str(value), quote=True)}"')
    return (" " + " ".join(parts)) if parts else ""


def el(tag: str, *children: str, **attrs) -> str:
    """One element; `children` are markup already built with `el` or `text`."""
    inner = "".join(children)
    if not inner and tag not in ("text", "title", "desc", "tspan", "g", "svg"):
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{inner}</{tag}>"


def _svg(*children: str, **attrs) -> Svg:
    return Svg(el("svg", *children, xmlns="http://www.w3.org/2000/svg", **attrs))


def text(value: str) -> str:
    return escape(str(value), quote=False)


def _text_width(label: str, size: float = 12.0) -> float:
    """A rough width of `label` in the page's sans-serif at `size` px, for layout only."""
    return len(label) * size * 0.56


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def short_money(amount: Decimal | float) -> str:
    """$0, $250K, $1.5M, $3.36M: for axis ticks and line labels, never for figures."""
    value = float(amount)
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value >= 1_000_000:
        body = f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".")
        return f"{sign}${body}M"
    if value >= 1_000:
        body = f"{value / 1_000:.1f}".rstrip("0").rstrip(".")
        return f"{sign}${body}K"
    return f"{sign}${value:,.0f}"


def full_money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def nice_ticks(top: float, *, count: int = 6) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of ten,
    about `count` of them."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks, value = [], 0.0
    while value < top - 1e-9:
        ticks.append(value)
        value += step
    ticks.append(value)
    return ticks


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _spread(wanted: list[float], *, gap: float, low: float, high: float) -> list[float]:
    """Move label positions apart so no two are closer than `gap`, keeping their order and
    staying within [low, high] where possible."""
    if not wanted:
        return []
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [wanted[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - high
    if overflow > 0:
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(p, low) for p in placed]
    out = [0.0] * len(wanted)
    for slot, i in enumerate(order):
        out[i] = placed[slot]
    return out


# ---------------------------------------------------------------------------------------------
# The cost curve: cumulative spend per billing period against the floor and the ceiling
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodAmount:
    """One billing period's charge, as the cost report gives it."""

    start: dt.date
    end: dt.date
    amount: Decimal
    kind: str  # "actual" (counted in spend to date) or "projected"


@dataclass(frozen=True)
class CurveSeries:
    """One plan's curve. `role` picks the look: `plan` (the contract as it stands), `whatif` (a
    scenario) or `baseline` (the plan drawn faintly behind a scenario)."""

    name: str
    periods: tuple[PeriodAmount, ...]
    role: str = "plan"
    short_name: str = ""


def cumulative(periods: Iterable[PeriodAmount]) -> list[tuple[PeriodAmount, Decimal]]:
    """Each period with the running total at its end."""
    running, out = Decimal(0), []
    for p in periods:
        running += p.amount
        out.append((p, running))
    return out


@dataclass(frozen=True)
class _Canvas:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top


def cost_curve(
    series: Sequence[CurveSeries],
    *,
    floor: Decimal,
    ceiling: Decimal,
    as_of: dt.date,
    term_start: dt.date,
    term_end: dt.date,
    title: str,
    description: str,
    chart_id: str = "cost-curve",
    compact: bool = False,
    cliff: tuple[dt.date, str] | None = None,
) -> Svg:
    """Cumulative spend at the end of each billing period, one line per series: the part in
    spend to date solid, the projection dashed. The floor and the ceiling are horizontal lines
    labelled with their amounts, the as-of day a vertical rule, and a tier cliff (`cliff`: the
    first day of the period within reach of a cheaper tier, and a short label) a dotted rule.
    Axes: billing periods (month ticks) and dollars. `compact` draws it for a phone: a narrower
    canvas, so the same text sizes stay readable once the chart is scaled to the screen, and
    fewer month labels."""
    c = (
        _Canvas(width=360, height=320, left=42, right=112, top=30, bottom=54)
        if compact
        else _Canvas(width=820, height=400, left=78, right=150, top=34, bottom=62)
    )
    days_total = (term_end - term_start).days + 1

    def x_of(day: dt.date) -> float:
        share = (day - term_start).days / days_total
        return c.x0 + share * (c.x1 - c.x0)

    totals = [total for s in series for _, total in cumulative(s.periods)]
    top_value = max([float(ceiling), float(floor), *map(float, totals), 1.0]) * 1.05
    ticks = nice_ticks(top_value)
    y_max = ticks[-1]

    def y_of(value: float) -> float:
        return c.y0 - (value / y_max) * (c.y0 - c.y1)

    parts: list[str] = [
        el("title", text(title), id=f"{chart_id}-title"),
        el("desc", text(description), id=f"{chart_id}-desc"),
    ]

    # Horizontal grid and dollar ticks.
    grid = []
    for value in ticks:
        y = y_of(value)
        grid.append(el("line", x1=c.x0, x2=c.x1, y1=y, y2=y, class_="grid"))
        grid.append(el("text", text(short_money(value)), x=c.x0 - 8, y=y + 4, class_="tick tick-y"))
    parts.append(el("g", *grid, aria_hidden="true"))

    # Period boundaries and month labels (thinned so labels keep ~46px apart).
    period_starts = [p.start for p in (series[0].periods if series else ())]
    bounds = [*period_starts, term_end + dt.timedelta(days=1)] if period_starts else []
    axis = [el("line", x1=c.x0, x2=c.x1, y1=c.y0, y2=c.y0, class_="axis")]
    axis.append(el("line", x1=c.x0, x2=c.x0, y1=c.y0, y2=c.y1, class_="axis"))
    if period_starts:
        spacing = (c.x1 - c.x0) / max(len(period_starts), 1)
        every = max(1, math.ceil(46 / spacing))
        last_year = None
        for i, start in enumerate(period_starts):
            x = x_of(start)
            axis.append(el("line", x1=x, x2=x, y1=c.y0, y2=c.y0 + 5, class_="axis"))
            if i % every:
                continue
            axis.append(
                el("text", text(MONTHS[start.month - 1]), x=x, y=c.y0 + 18, class_="tick tick-x")
            )
            if start.year != last_year:
                axis.append(el("text", text(start.year), x=x, y=c.y0 + 32, class_="tick tick-x"))
                last_year = start.year
        end_x = x_of(bounds[-1])
        axis.append(el("line", x1=end_x, x2=end_x, y1=c.y0, y2=c.y0 + 5, class_="axis"))
    axis_title = (
        "Billing periods"
        if compact
        else f"Billing periods from {day_label(term_start)} (tick: a period's first day)"
    )
    axis.append(
        el(
            "text",
            text(axis_title),
            x=(c.x0 + c.x1) / 2,
            y=c.height - 10,
            class_="axis-title",
        )
    )
    axis.append(
        el(
            "text",
            text("Cumulative spend"),
            x=c.x0,
            y=c.y1 - 14,
            class_="axis-title axis-title-y",
        )
    )
    parts.append(el("g", *axis, aria_hidden="true"))

    # Floor and ceiling.
    right_labels: list[tuple[float, str, str]] = []
    band = [
        el(
            "rect",
            x=c.x0,
            y=y_of(float(ceiling)),
            width=c.x1 - c.x0,
            height=max(y_of(float(floor)) - y_of(float(ceiling)), 0.0),
            class_="band-fill",
        )
    ]
    for amount, name, css in ((ceiling, "Ceiling", "ceiling"), (floor, "Floor", "floor")):
        y = y_of(float(amount))
        band.append(el("line", x1=c.x0, x2=c.x1, y1=y, y2=y, class_=f"band-line {css}"))
        right_labels.append((y, f"{name} {short_money(amount)}", f"band-label {css}"))

    # The as-of day.
    if term_start <= as_of <= term_end:
        x = x_of(as_of + dt.timedelta(days=1))
        band.append(el("line", x1=x, x2=x, y1=c.y0, y2=c.y1, class_="today"))
        label = (
            f"{as_of.day} {MONTHS[as_of.month - 1]}"
            if compact
            else f"As of {as_of.day} {MONTHS[as_of.month - 1]}"
        )
        anchor_end = x + _text_width(label, 11) + 4 > c.x1
        band.append(
            el(
                "text",
                text(label),
                x=x - 4 if anchor_end else x + 4,
                y=c.y1 + 12,
                class_="today-label" + (" end" if anchor_end else ""),
            )
        )
    if cliff is not None and term_start <= cliff[0] <= term_end:
        x = x_of(cliff[0])
        label = "Tier cliff" if compact else cliff[1]
        anchor_end = x + _text_width(label, 11) + 4 > c.x1
        band.append(el("line", x1=x, x2=x, y1=c.y0, y2=c.y1 + 18, class_="cliff"))
        band.append(
            el(
                "text",
                text(label),
                x=x - 4 if anchor_end else x + 4,
                y=c.y1 + 28,
                class_="cliff-label" + (" end" if anchor_end else ""),
            )
        )
    parts.append(el("g", *band))

    # The series: actual solid, projected dashed, a marker at each period's end.
    for s in series:
        points = cumulative(s.periods)
        if not points:
            continue
        coords = [(x_of(term_start), y_of(0.0), "actual")]
        for period, total in points:
            coords.append(
                (x_of(period.end + dt.timedelta(days=1)), y_of(float(total)), period.kind)
            )
        actual = [xy for xy in coords if xy[2] == "actual"]
        start_projection = len(actual) - 1
        projected = coords[start_projection:] if start_projection < len(coords) - 1 else []
        group = []
        if s.role != "baseline" and len(actual) > 1:
            group.append(
                el(
                    "polyline",
                    points=" ".join(f"{_num(x)},{_num(y)}" for x, y, _ in actual),
                    class_="series-actual",
                )
            )
        if projected:
            group.append(
                el(
                    "polyline",
                    points=" ".join(f"{_num(x)},{_num(y)}" for x, y, _ in projected),
                    class_=f"series-projected {s.role}",
                )
            )
        for x, y, kind in coords[1:]:
            if s.role == "baseline" and kind == "actual":
                continue
            group.append(el("circle", cx=x, cy=y, r=3.5, class_=f"dot {kind} {s.role}"))
        parts.append(el("g", *group, class_=f"series series-{s.role}"))
        name = (s.short_name or s.name) if compact else s.name
        right_labels.append(
            (coords[-1][1], f"{name} {short_money(points[-1][1])}", f"end-label {s.role}")
        )

    # Right-hand labels, spread so they never overlap.
    ys = _spread([y for y, _, _ in right_labels], gap=15, low=c.y1 + 4, high=c.y0 - 2)
    labels = [
        el("text", text(label), x=c.x1 + 8, y=y + 4, class_=css)
        for (_, label, css), y in zip(right_labels, ys, strict=True)
    ]
    parts.append(el("g", *labels))

    return _svg(
        *parts,
        viewBox=f"0 0 {_num(c.width)} {_num(c.height)}",
        class_="chart chart-curve " + ("compact" if compact else "wide"),
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        id=chart_id,
        preserveAspectRatio="xMinYMin meet",
    )


# ---------------------------------------------------------------------------------------------
# Horizontal bars: seats against headcount and quota, chargeback shares
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    value: float
    css: str
    label: str


@dataclass(frozen=True)
class Marker:
    value: float
    css: str
    label: str


def stacked_bar(
    segments: Sequence[Segment],
    *,
    scale: float,
    markers: Sequence[Marker] = (),
    label: str,
    height: int = 22,
) -> Svg:
    """One horizontal bar: `segments` stacked from the left on a track worth `scale`, with
    vertical `markers` (a quota, a headcount). Sized by the page (width 100%); `label` is its
    accessible name and should state every figure."""
    width = 400.0
    top = max(scale, sum(s.value for s in segments), *(m.value for m in markers), 1.0)
    bar_top, bar_height = 4, height - 8
    parts = [
        el("title", text(label)),
        el("rect", x=0, y=bar_top, width=width, height=bar_height, class_="track"),
    ]
    x = 0.0
    for segment in segments:
        if segment.value <= 0:
            continue
        w = segment.value / top * width
        parts.append(
            el(
                "rect",
                x=x,
                y=bar_top,
                width=max(w, 0.8),
                height=bar_height,
                class_=f"seg {segment.css}",
            )
        )
        x += w
    for marker in markers:
        mx = min(max(marker.value / top * width, 1.0), width - 1.0)
        parts.append(
            el(
                "line",
                x1=mx,
                x2=mx,
                y1=0,
                y2=height,
                class_=f"marker {marker.css}",
                vector_effect="non-scaling-stroke",
            )
        )
    return _svg(
        *parts,
        viewBox=f"0 0 {_num(width)} {height}",
        preserveAspectRatio="none",
        class_="chart chart-bar",
        role="img",
        aria_label=label,
        height=height,
    )


def swatch(css: str, *, shape: str = "rect") -> Svg:
    """A small legend key drawn like the chart's element (`rect`, `line`, `dash`, `diamond`)."""
    if shape == "line" or shape == "dash":
        body = el("line", x1=1, x2=27, y1=7, y2=7, class_=css)
        w = 28
    elif shape == "diamond":
        body = el("path", d="M7 1 L13 7 L7 13 L1 7 Z", class_=css)
        w = 14
    else:
        body = el("rect", x=0.5, y=1.5, width=17, height=11, class_=css)
        w = 18
    return _svg(
        body,
        viewBox=f"0 0 {w} 14",
        width=w,
        height=14,
        class_="swatch",
        aria_hidden="true",
        focusable="false",
    )


# ---------------------------------------------------------------------------------------------
# The rollout timeline: waves and cohorts on a time axis
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GanttRow:
    """One row of the timeline. A wave (`level` 0) spans its planned window; a cohort (level 1)
    spans its onboarding day to the wave's end, with a diamond on the onboarding day. `status`
    is the CSS key, `status_label` the words shown beside the bar (so colour is never the only
    cue), `note` an extra short text (failing gates), `detail` a longer one after it (the
    wave's name)."""

    label: str
    start: dt.date
    end: dt.date
    status: str
    status_label: str
    level: int = 0
    milestone: dt.date | None = None
    note: str = ""
    warn: bool = False
    detail: str = ""


@dataclass(frozen=True)
class GanttLayout:
    width: int = 1000
    label_width: int = 120
    right: int = 16
    top: int = 46
    bottom: int = 20
    wave_row: int = 34
    cohort_row: int = 26


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    day = dt.date(start.year, start.month, 1)
    out = []
    while day <= end:
        out.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out


def _gantt_x(day: dt.date, start: dt.date, end: dt.date, g: GanttLayout) -> float:
    span = max((end - start).days + 1, 1)
    return g.label_width + (day - start).days / span * (g.width - g.right - g.label_width)


def gantt_position(
    day: dt.date, *, start: dt.date, end: dt.date, layout: GanttLayout | None = None
) -> float | None:
    """Where `day` falls across the timeline `gantt` draws for the same span, as a percentage
    of the chart's width (None outside the span): for page markup placed over the chart, such
    as the marker a narrow screen's chart opens scrolled to."""
    if not start <= day <= end:
        return None
    g = layout or GanttLayout()
    return _gantt_x(day, start, end, g) / g.width * 100


def _gantt_heights(rows: Sequence[GanttRow], g: GanttLayout) -> list[int]:
    return [g.wave_row if r.level == 0 else g.cohort_row for r in rows]


def _gantt_row_head(row: GanttRow, y: float, h: float, g: GanttLayout) -> list[str]:
    """A row's shading (waves) and its label in the left column, shortened to fit."""
    out = []
    if row.level == 0:
        out.append(el("rect", x=0, y=y, width=g.width, height=h, class_="row-wave"))
    label_x = 8 + 14 * row.level
    label = row.label
    max_chars = int((g.label_width - label_x - 8) / (12 * 0.56))
    if len(label) > max_chars:
        label = label[: max_chars - 1] + "…"
    out.append(
        el(
            "text",
            el("title", text(row.label)) if label != row.label else "",
            text(label),
            x=label_x,
            y=y + h / 2 + 4,
            class_="row-label" + (" wave" if row.level == 0 else ""),
        )
    )
    return out


def gantt_labels(rows: Sequence[GanttRow], *, layout: GanttLayout | None = None) -> Svg:
    """The timeline's label column alone, drawn exactly over the chart's own (same rows, same
    scale): the stylesheet keeps it at the left edge while a narrow screen scrolls the chart
    sideways, so every bar still has its wave or agency beside it. Hidden from assistive
    technology, which reads the chart's labels and the tables."""
    g = layout or GanttLayout()
    heights = _gantt_heights(rows, g)
    height = g.top + sum(heights) + g.bottom
    parts = [el("rect", x=0, y=0, width=g.label_width, height=height, class_="labels-bg")]
    y = g.top
    for row, h in zip(rows, heights, strict=True):
        parts.extend(_gantt_row_head(row, y, h, g))
        y += h
    return _svg(
        *parts,
        viewBox=f"0 0 {g.label_width} {_num(height)}",
        width=f"{_num(g.label_width / g.width * 100)}%",
        class_="chart gantt-labels",
        aria_hidden="true",
        focusable="false",
        preserveAspectRatio="xMinYMin meet",
    )


def gantt(
    rows: Sequence[GanttRow],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date | None,
    title: str,
    description: str,
    chart_id: str = "timeline",
    layout: GanttLayout | None = None,
) -> Svg:
    """Waves and cohorts as bars on a month axis from `start` to `end`, a rule on `today`.
    Bars take their colour and pattern from `status-<status>` classes; the status is also
    written beside each bar."""
    g = layout or GanttLayout()
    x0, x1 = g.label_width, g.width - g.right

    def x_of(day: dt.date) -> float:
        return _gantt_x(day, start, end, g)

    heights = _gantt_heights(rows, g)
    height = g.top + sum(heights) + g.bottom
    parts: list[str] = [
        el("title", text(title), id=f"{chart_id}-title"),
        el("desc", text(description), id=f"{chart_id}-desc"),
        el(
            "defs",
            el(
                "pattern",
                el("rect", width=6, height=6, class_="hatch-bg"),
                el("line", x1=0, y1=0, x2=0, y2=6, class_="hatch-line"),
                id=f"{chart_id}-hatch",
                width=6,
                height=6,
                patternUnits="userSpaceOnUse",
                patternTransform="rotate(45)",
            ),
        ),
    ]

    # Month grid and labels: a month's label sits at its first visible day and is left out
    # when its visible part is too narrow for it (a term starting mid-month); the first label
    # shown and every January carry the year.
    grid = []
    year_shown = False
    for month in _month_starts(start, end):
        x = max(x_of(month), x0)
        next_month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        x_next = min(x_of(next_month), x1)
        grid.append(el("line", x1=x, x2=x, y1=g.top - 6, y2=height - g.bottom, class_="grid"))
        name = MONTHS[month.month - 1]
        label = f"{name} {month.year}" if (not year_shown or month.month == 1) else name
        if _text_width(label) + 6 > x_next - x:
            continue
        year_shown = True
        grid.append(el("text", text(label), x=x + 3, y=g.top - 14, class_="tick tick-month"))
    grid.append(el("line", x1=x0, x2=x1, y1=g.top - 6, y2=g.top - 6, class_="axis"))
    parts.append(el("g", *grid, aria_hidden="true"))

    body = []
    y = g.top
    for row, h in zip(rows, heights, strict=True):
        mid = y + h / 2
        body.extend(_gantt_row_head(row, y, h, g))
        bar_h = 16 if row.level == 0 else 10
        bx0 = max(x_of(row.start), x0)
        bx1 = min(x_of(row.end + dt.timedelta(days=1)), x1)
        bw = max(bx1 - bx0, 2)
        body.append(
            el(
                "rect",
                x=bx0,
                y=mid - bar_h / 2,
                width=bw,
                height=bar_h,
                rx=2,
                class_=f"bar status-{row.status}" + (" wave" if row.level == 0 else " cohort"),
            )
        )
        if row.milestone is not None and start <= row.milestone <= end:
            mx = x_of(row.milestone)
            body.append(
                el(
                    "path",
                    d=f"M{_num(mx)} {_num(mid - 7)} L{_num(mx + 7)} {_num(mid)} "
                    f"L{_num(mx)} {_num(mid + 7)} L{_num(mx - 7)} {_num(mid)} Z",
                    class_=f"milestone status-{row.status}",
                )
            )
        words = " · ".join(w for w in (row.status_label, row.note, row.detail) if w)
        words_w = _text_width(words, 11.5)
        css = "bar-label" + (" warn" if row.warn else "")
        if bx0 + bw + 10 + words_w <= x1:
            body.append(el("text", text(words), x=bx0 + bw + 10, y=mid + 4, class_=css))
        elif bx0 - 12 - words_w >= x0:
            body.append(el("text", text(words), x=bx0 - 12, y=mid + 4, class_=css + " end"))
        else:
            body.append(el("text", text(words), x=x1 - 2, y=mid + 4, class_=css + " end inside"))
        y += h
    parts.append(el("g", *body))

    if today is not None and start <= today <= end:
        tx = x_of(today)
        # The label reads to the right of the rule, where a page scrolled to today shows it,
        # unless the chart ends first.
        words = f"Today {today.day} {MONTHS[today.month - 1]}"
        right = tx + 4 + _text_width(words, 11) <= x1
        parts.append(
            el(
                "g",
                el("line", x1=tx, x2=tx, y1=g.top - 6, y2=height - g.bottom, class_="today"),
                el(
                    "text",
                    text(words),
                    x=tx + 4 if right else tx - 4,
                    y=g.top - 28 + 2,
                    class_="today-label" if right else "today-label end",
                ),
                id=f"{chart_id}-today",
            )
        )

    return _svg(
        *parts,
        viewBox=f"0 0 {g.width} {_num(height)}",
        class_="chart chart-gantt",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        id=chart_id,
        preserveAspectRatio="xMinYMin meet",
    )
