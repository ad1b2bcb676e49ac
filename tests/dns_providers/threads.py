"""Running provider calls in real threads at the same moment, as concurrent Celery
tasks would."""

import threading
from collections.abc import Callable

JOIN_TIMEOUT_SECONDS = 60


def run_at_once(*calls: Callable[[], object]) -> None:
    """Run each call in a thread of its own, all started together; raise the first
    error any of them raised."""
    errors: list[BaseException] = []

    def run(call):
        try:
            call()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a call still runs after 60 s"
    if errors:
        raise errors[0]
