"""Demo data for Seatplan: the Massachusetts rollout as reported in February 2026, carried on to
an as-of day with illustrative figures where nothing is reported (see docs/demo-data.md).

`scenario` holds the data, `plan` turns it into rows without touching the database, and `build`
writes what is missing in bulk. `manage.py seed_demo` is the way in.
"""

from .build import MODELS, DemoError, SeedReport, demo_seed
from .scenario import DEFAULT_AS_OF, DEFAULT_SEED

__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "MODELS", "DemoError", "SeedReport", "demo_seed"]
