"""The confidence threshold in use: set by an administrator, recommended by the training's
cross-validation for a target accuracy, or the fallback."""

from __future__ import annotations

import pytest

from guichet.assist.evaluation import auto_routing_curve
from guichet.assist.thresholds import (
    FALLBACK,
    FALLBACK_THRESHOLD,
    RECOMMENDED,
    SET_BY_ADMINISTRATOR,
    CurvePoint,
    curve_of,
    recommended,
    threshold_in_use,
)

CURVE = (
    CurvePoint(0.2, 0.90, 0.70),
    CurvePoint(0.3, 0.75, 0.78),
    CurvePoint(0.4, 0.60, 0.81),
    CurvePoint(0.5, 0.45, 0.86),
    CurvePoint(0.6, 0.30, 0.90),
)


def test_the_curve_counts_what_each_threshold_routes_and_how_well():
    gold = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "", "c"]
    confidences = [0.9, 0.45, 0.55, 0.0, 0.3]

    curve = auto_routing_curve(gold, predicted, confidences, thresholds=(0.3, 0.5, 0.95))

    assert curve == [
        {"threshold": 0.3, "auto_share": 0.8, "auto_accuracy": 0.75},
        {"threshold": 0.5, "auto_share": 0.4, "auto_accuracy": 1.0},
        {"threshold": 0.95, "auto_share": 0.0, "auto_accuracy": 0.0},
    ]


@pytest.mark.parametrize(("target", "expected"), [(0.8, 0.4), (0.85, 0.5), (0.7, 0.2), (0.9, 0.6)])
def test_the_lowest_threshold_reaching_the_target_is_recommended(target, expected):
    assert recommended(CURVE, target).threshold == expected


def test_no_threshold_reaches_the_target():
    assert recommended(CURVE, 0.95) is None
    in_use = threshold_in_use(None, 0.95, CURVE)
    # Only the most confident answers go straight through.
    assert (in_use.value, in_use.source) == (0.6, RECOMMENDED)


def test_an_administrator_s_threshold_wins_then_the_recommendation_then_the_fallback():
    assert threshold_in_use(0.7, 0.8, CURVE).value == 0.7
    assert threshold_in_use(0.7, 0.8, CURVE).source == SET_BY_ADMINISTRATOR
    assert threshold_in_use(0.0, 0.8, CURVE).value == 0.0  # zero is a choice, not "unset"
    recommended_one = threshold_in_use(None, 0.8, CURVE)
    assert (recommended_one.value, recommended_one.source) == (0.4, RECOMMENDED)
    assert recommended_one.point == CurvePoint(0.4, 0.60, 0.81)
    fallback = threshold_in_use(None, 0.8, ())
    assert (fallback.value, fallback.source) == (FALLBACK_THRESHOLD, FALLBACK)


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"quality": "broken"},
        {"quality": {"auto_routing": "no"}},
        {"quality": {"auto_routing": [{"threshold": "x", "auto_share": 1, "auto_accuracy": 1}]}},
        {"quality": {"auto_routing": [{"threshold": 0.5}]}},
        {
            "quality": {
                "auto_routing": [{"threshold": float("nan"), "auto_share": 1, "auto_accuracy": 1}]
            }
        },
        {"quality": {"auto_routing": [{"threshold": -1, "auto_share": 1, "auto_accuracy": 1}]}},
        {"quality": {"auto_routing": [{"threshold": 5, "auto_share": 1, "auto_accuracy": 1}]}},
        {"quality": {"auto_routing": [{"threshold": True, "auto_share": 1, "auto_accuracy": 1}]}},
        {"quality": {"auto_routing": [{"threshold": "0.5", "auto_share": 1, "auto_accuracy": 1}]}},
        {
            "quality": {
                "auto_routing": [{"threshold": 0.5, "auto_share": 1, "auto_accuracy": float("inf")}]
            }
        },
    ],
)
def test_a_missing_or_damaged_curve_is_no_curve(meta):
    assert curve_of(meta) == ()


def test_a_stored_curve_is_read_in_threshold_order():
    meta = {
        "quality": {
            "auto_routing": [
                {"threshold": 0.5, "auto_share": 0.4, "auto_accuracy": 0.9},
                {"threshold": 0.3, "auto_share": 0.7, "auto_accuracy": 0.8},
            ]
        }
    }
    assert curve_of(meta) == (CurvePoint(0.3, 0.7, 0.8), CurvePoint(0.5, 0.4, 0.9))
