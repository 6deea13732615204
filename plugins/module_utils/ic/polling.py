"""Waiting for an update call to finish: backoff schedule and the request_status poll loop."""
import random
import time

from .errors import TransportError

# agent-rs polls from 500 ms up to 1 s, growing by 1.4 with jitter; the same pace keeps the
# load on a replica predictable and answers arrive within one block time on localnet.
INITIAL_DELAY = 0.05
MAX_DELAY = 1.0
MULTIPLIER = 1.4
TERMINAL = ("replied", "rejected", "done")


class PollTimeout(TransportError):
    """The request did not reach a terminal state in time; ``.last_status`` says where it was."""

    def __init__(self, message, last_status=None):
        super().__init__(message)
        self.last_status = last_status


def delays(initial=INITIAL_DELAY, maximum=MAX_DELAY, multiplier=MULTIPLIER, rng=random):
    """Endless jittered delays: each is the previous times ``multiplier``, capped, ±20%."""
    delay = initial
    while True:
        yield delay * rng.uniform(0.8, 1.2)
        delay = min(maximum, delay * multiplier)


def poll(check, timeout, schedule=None, clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it returns ``(True, value)``; return that value.

    ``check`` returns ``(done, value)``; while not done, ``value`` is a short status word used
    in the timeout message. Raises ``PollTimeout`` once ``timeout`` seconds have passed.
    """
    deadline = clock() + timeout
    schedule = schedule if schedule is not None else delays()
    last = None
    while True:
        done, value = check()
        if done:
            return value
        last = value
        now = clock()
        if now >= deadline:
            raise PollTimeout(f"no final answer after {timeout:g} s (last status: {last})",
                              last_status=last)
        sleep(min(next(schedule), max(0.0, deadline - now)))
