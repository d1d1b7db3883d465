"""On-commit callbacks, told apart: every seat change also asks the outbox for a dispatch, so a
test that counts the recomputes or job hand-offs a change queued leaves those out."""

from core.outbox import _schedule as outbox_dispatch


def without_outbox(callbacks):
    """The captured callbacks other than the outbox's dispatch requests."""
    return [callback for callback in callbacks if callback is not outbox_dispatch]


def outbox_dispatches(callbacks):
    return [callback for callback in callbacks if callback is outbox_dispatch]
