"""The threshold curve drawn as bars: heights proportional to the shares, the target line, the
threshold in use marked."""

from __future__ import annotations

from guichet.assist.curve_chart import HEIGHT, TOP, curve_chart
from guichet.assist.thresholds import CurvePoint


def test_bars_are_proportional_and_the_threshold_in_use_is_marked():
    chart = curve_chart([CurvePoint(0.3, 0.8, 0.7), CurvePoint(0.5, 0.5, 1.0)], 0.8, 0.5)

    first, second = chart.groups
    assert (first.routed.height, first.right.height) == (round(HEIGHT * 0.8), round(HEIGHT * 0.7))
    assert (second.routed.height, second.right.height) == (HEIGHT * 5 // 10, HEIGHT)
    assert second.right.y == TOP  # a full bar reaches the top
    assert first.routed.y + first.routed.height == chart.baseline_y
    assert chart.target_y == chart.baseline_y - round(HEIGHT * 0.8)
    assert [group.in_use for group in chart.groups] == [False, True]
    assert chart.marks_in_use
    assert second.routed.x > first.right.x  # groups side by side


def test_nothing_marked_when_no_threshold_applies():
    chart = curve_chart([CurvePoint(0.3, 0.8, 0.7)], 0.8, None)
    assert not chart.marks_in_use
    assert curve_chart([], 0.8, 0.5).groups == []
