"""Fault scenarios of the full stack (issue 8): each one breaks a piece of the real stack and
checks that the state afterwards equals a from-scratch recomputation. Run one with
`python bench/faults/<name>.py`, all three with `python bench/faults/run.py`."""
