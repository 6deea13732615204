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


IN_PROGRESS = ("received", "processing")


def poll(check, timeout, schedule=None, clock=time.monotonic, sleep=time.sleep,
         busy_timeout=None):
    """Call ``check()`` until it returns ``(True, value)``; return that value.

    ``check`` returns ``(done, value)``; while not done, ``value`` is a short status word used
    in the timeout message. Raises ``PollTimeout`` once ``timeout`` seconds have passed,
    except while the status is ``received``/``processing``: such a call can still finish
    after its ingress expiry, so from the first such status the limit is ``busy_timeout``
    (when given) instead, as agent-rs restarts its budget on these statuses.
    """
    start = clock()
    deadline = start + timeout
    busy_deadline = None
    schedule = schedule if schedule is not None else delays()
    last = None
    while True:
        done, value = check()
        if done:
            return value
        last = value
        now = clock()
        if busy_timeout is not None and value in IN_PROGRESS and busy_deadline is None:
            busy_deadline = now + busy_timeout
        limit = busy_deadline if busy_deadline is not None else deadline
        if now >= limit:
            raise PollTimeout(f"no final answer after {now - start:.0f} s (last status: "
                              f"{last}); the outcome is unknown, not failed",
                              last_status=last)
        sleep(min(next(schedule), max(0.0, limit - now)))
