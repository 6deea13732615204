"""The poll loop and its backoff schedule, on a simulated clock."""
import random

import pytest

from _ic.polling import PollTimeout, delays, poll


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_schedule_grows_by_1_4_up_to_the_cap_with_jitter():
    values = [d for _, d in zip(range(30), delays(0.5, 1.0, 1.4, random.Random(3)))]
    assert 0.4 <= values[0] <= 0.6
    assert 0.56 <= values[1] <= 0.84
    assert all(0.8 <= v <= 1.2 for v in values[5:])
    assert len(set(values)) == len(values)


def test_poll_returns_the_first_final_value():
    answers = iter([(False, "received"), (False, "processing"), (True, "reply")])
    clock = Clock()
    assert poll(lambda: next(answers), 10, clock=clock, sleep=clock.sleep) == "reply"
    assert len(clock.sleeps) == 2


def test_poll_times_out_with_the_last_status():
    clock = Clock()
    with pytest.raises(PollTimeout) as info:
        poll(lambda: (False, "processing"), 5, clock=clock, sleep=clock.sleep)
    assert info.value.last_status == "processing"
    assert "processing" in str(info.value)
    assert 5 <= clock.now < 6.3
    assert max(clock.sleeps) <= 1.2


def test_poll_never_sleeps_past_the_deadline():
    clock = Clock()
    with pytest.raises(PollTimeout):
        poll(lambda: (False, "unknown"), 0.3, schedule=iter([10.0] * 5), clock=clock,
             sleep=clock.sleep)
    assert clock.now == pytest.approx(0.3)


def test_processing_gets_its_own_longer_limit():
    """A call the IC reports received/processing may finish after its expiry: the short
    limit no longer applies, the busy one does (agent-rs restarts its budget there)."""
    answers = iter([(False, "unknown")] + [(False, "processing")] * 40 + [(True, "reply")])
    clock = Clock()
    assert poll(lambda: next(answers), 2, clock=clock, sleep=clock.sleep,
                busy_timeout=100) == "reply"
    assert clock.now > 2
    clock = Clock()
    with pytest.raises(PollTimeout) as info:
        poll(lambda: (False, "processing"), 2, clock=clock, sleep=clock.sleep, busy_timeout=10)
    assert info.value.last_status == "processing" and 10 <= clock.now < 11.3
    assert "unknown, not failed" in str(info.value)
