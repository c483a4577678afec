"""The threshold curve of the *Triage quality* admin page as an inline SVG (no JavaScript, no
library): per threshold, a bar for the share of requests routed automatically and one for the
share of those with the right topic, the target accuracy as a line. The table beside it carries
the same numbers as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guichet.assist.thresholds import CurvePoint

HEIGHT = 160  # the 100 % mark
TOP = 12
GROUP_WIDTH = 56
BAR_WIDTH = 20
LEFT = 40
BOTTOM = 22


@dataclass(frozen=True)
class CurveBar:
    x: int
    y: int
    height: int
    percent: int


@dataclass(frozen=True)
class CurveGroup:
    threshold: float
    label_x: int
    routed: CurveBar
    right: CurveBar
    in_use: bool


@dataclass(frozen=True)
class CurveChart:
    groups: list[CurveGroup]
    width: int
    height: int
    baseline_y: int
    target_y: int
    left: int = LEFT
    bar_width: int = BAR_WIDTH
    top: int = TOP

    @property
    def marks_in_use(self) -> bool:
        return any(group.in_use for group in self.groups)


def _bar(x: int, share: float) -> CurveBar:
    height = round(HEIGHT * share)
    return CurveBar(x, TOP + HEIGHT - height, height, round(share * 100))


def curve_chart(
    curve: Sequence[CurvePoint], target_accuracy: float, in_use: float | None
) -> CurveChart:
    """`in_use`: the threshold applied, marked (None when no threshold applies)."""
    groups = []
    for index, point in enumerate(curve):
        x = LEFT + index * GROUP_WIDTH + 6
        groups.append(
            CurveGroup(
                threshold=point.threshold,
                label_x=x + BAR_WIDTH,
                routed=_bar(x, point.auto_share),
                right=_bar(x + BAR_WIDTH, point.auto_accuracy),
                in_use=in_use is not None and point.threshold == in_use,
            )
        )
    return CurveChart(
        groups=groups,
        width=LEFT + len(groups) * GROUP_WIDTH + 8,
        height=TOP + HEIGHT + BOTTOM,
        baseline_y=TOP + HEIGHT,
        target_y=TOP + HEIGHT - round(HEIGHT * target_accuracy),
    )
