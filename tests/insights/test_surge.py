from datetime import UTC, datetime

import pytest

from guichet.insights.surge import assess_surge, same_hour_windows


@pytest.mark.parametrize(
    ("observed", "history", "is_surge", "threshold"),
    [
        # Usual 20 an hour: twice the usual (40) beats 20 + 3 * sqrt(20) = 33.4.
        (41, [18, 20, 22], True, 40.0),
        (40, [18, 20, 22], False, 40.0),
        # Small usual rate: the Poisson margin dominates (4 + 3 * 2 = 10), then min_arrivals.
        (10, [4, 4, 4], False, 10.0),
        (11, [4, 4, 4], True, 10.0),
        # Nothing usually: a handful is not a surge, ten is.
        (9, [0, 0], False, 9.0),
        (10, [0, 0], True, 9.0),
        # No history yet: only the minimum applies.
        (10, [], True, 9.0),
        (3, [], False, 9.0),
    ],
)
def test_surge_thresholds(observed, history, is_surge, threshold):
    assessment = assess_surge(observed, history)

    assert assessment.is_surge is is_surge
    assert assessment.threshold == pytest.approx(threshold, abs=0.01)


def test_usual_rate_and_ratio():
    assessment = assess_surge(60, [10, 20, 30])

    assert assessment.usual == 20.0
    assert assessment.weeks == 3
    assert assessment.ratio == 3.0
    assert assess_surge(5, []).ratio is None
    assert assess_surge(5, [0]).ratio is None


@pytest.mark.parametrize(
    ("observed", "history", "options"),
    [(-1, [], {}), (1, [2, -1], {}), (1, [], {"factor": 0.5}), (1, [], {"min_arrivals": 0})],
)
def test_bad_input_is_refused(observed, history, options):
    with pytest.raises(ValueError, match=r"required|negative"):
        assess_surge(observed, history, **options)


def test_same_hour_windows_go_back_week_by_week():
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday

    windows = same_hour_windows(now, 2)

    assert windows == [
        (datetime(2026, 11, 23, 8, 30, tzinfo=UTC), now),
        (datetime(2026, 11, 16, 8, 30, tzinfo=UTC), datetime(2026, 11, 16, 9, 30, tzinfo=UTC)),
        (datetime(2026, 11, 9, 8, 30, tzinfo=UTC), datetime(2026, 11, 9, 9, 30, tzinfo=UTC)),
    ]
    with pytest.raises(ValueError, match="negative"):
        same_hour_windows(now, -1)
