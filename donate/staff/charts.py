"""Bar charts as inline SVG geometry, drawn by templates/staff/_chart.html (no JS library).

Scales are computed in integer minor units and rounded up to 1, 2 or 5 times a power of ten,
so the axis shows round amounts.
"""

from dataclasses import dataclass

from donate.money import Money
from donate.staff.rollup import Point

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 72, 24, 8  # room for the amount axis, the date labels, the top tick


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    point: Point


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    ticks: list[tuple[float, str]]  #: (y, amount) lines across the chart
    labels: list[tuple[float, str, str]]  #: (x, date, anchor) of the first, middle, last bar
    points: list[Point]  #: the data again, for the table beside the picture
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `value` (1 for nothing)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(title: str, points: list[Point], unit: str) -> Chart:
    """Bars for `points` of one currency; `unit` names them in the description ("day")."""
    currency = points[0].value.currency
    top = nice_ceiling(max(point.value.minor for point in points))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / len(points)

    def y_of(minor: int) -> float:
        return round(HEIGHT - BOTTOM - plot_height * minor / top, 1)

    bars = [Bar(round(LEFT + slot * n + slot * 0.1, 1), y_of(point.value.minor),
                round(slot * 0.8, 1), round(HEIGHT - BOTTOM - y_of(point.value.minor), 1), point)
            for n, point in enumerate(points)]
    ticks = [(y_of(minor), Money(minor, currency).format()) for minor in (0, top // 2, top)]
    last = len(points) - 1
    anchors = {0: "start", len(points) // 2: "middle", last: "end" if last else "start"}
    labels = [(round(LEFT + slot * (n + 0.5), 1), points[n].label, anchor)
              for n, anchor in sorted(anchors.items())]
    return Chart(title, _describe(points, unit), bars, ticks, labels, points)


def _describe(points: list[Point], unit: str) -> str:
    best = max(points, key=lambda point: point.value.minor)
    total = Money(sum(point.value.minor for point in points), best.value.currency)
    return (f"{len(points)} {unit}s from {points[0].label} to {points[-1].label}: "
            f"{total.format()} in all; the best {unit} was {best.label} with "
            f"{best.value.format()}.")
