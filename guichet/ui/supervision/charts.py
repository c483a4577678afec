"""Inline SVG charts, computed here and drawn by the template (no JavaScript, no library): a
horizontal bar per department. The table beside it carries the same numbers as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guichet.ui.supervision.board import QueueRow

LABEL_WIDTH = 160
BAR_AREA = 300
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def waiting_chart(queues: Sequence[QueueRow]) -> BarChart:
    """Items waiting per department."""
    top = max([row.waiting for row in queues] + [1])
    bars = [
        Bar(
            label=row.department.name[:24],
            value=row.waiting,
            y=index * ROW_HEIGHT + 4,
            width=round(BAR_AREA * row.waiting / top),
        )
        for index, row in enumerate(queues)
    ]
    return BarChart(bars=bars, width=LABEL_WIDTH + BAR_AREA + 50, height=len(bars) * ROW_HEIGHT + 8)
