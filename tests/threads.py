"""Run one piece of work in many threads at once, for the tests of thread safety."""
import threading


def in_threads(work, count):
    """Start ``count`` threads running ``work()`` together, wait for all, and return their results
    (in thread order); the first exception a thread raised is raised here, after every thread ended."""
    results, errors = [None] * count, []
    start = threading.Barrier(count)

    def run(index):
        try:
            start.wait()
            results[index] = work()
        except Exception as exc:  # pylint: disable=broad-except  (raised in the caller below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
