"""Fixed-window counters: what a limit counts and when it starts again."""

import datetime as dt
from unittest import mock

from skinshop import ratelimit


def _at(seconds: float):
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return mock.patch("skinshop.ratelimit.timezone.now", return_value=moment)


def test_counts_add_up_within_a_window_and_start_again_in_the_next():
    with _at(7200 + 10):
        assert ratelimit.hit("x", window_seconds=3600) == 1
        assert ratelimit.hit("x", window_seconds=3600) == 2
        assert ratelimit.count("x", window_seconds=3600) == 2
        assert ratelimit.count("y", window_seconds=3600) == 0
    with _at(10800 + 10):
        assert ratelimit.count("x", window_seconds=3600) == 0


def test_retry_after_is_the_time_left_in_the_window():
    with _at(7200 + 10):
        assert ratelimit.seconds_left(3600) == 3590
    with _at(7200 + 3599.5):
        assert ratelimit.seconds_left(3600) == 1


def test_an_event_may_count_several_and_be_taken_back_whole():
    with _at(7200 + 10):
        assert ratelimit.hit("photos", window_seconds=3600, amount=3) == 3
        assert ratelimit.hit("photos", window_seconds=3600) == 4
        ratelimit.release("photos", window_seconds=3600, amount=3)
        assert ratelimit.count("photos", window_seconds=3600) == 1
