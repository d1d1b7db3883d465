"""Bounded load on the full stack (issue 8): `python bench/load/run.py -u 20 -t 60`."""
