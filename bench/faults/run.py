"""All three fault scenarios on one stack, in order: worker-kill, redis-down, postgres-restart.

    .venv/bin/python bench/faults/run.py [--scale 1] [--shared-services]

Same as `bench/stack.py run-scenario faults`. Prints each scenario's checks, a PASS/FAIL summary
with the figures (docs/reliability.md holds the latest), and exits non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load.run import add_load_arguments
from stack import StackError, add_stack_arguments, run_scenarios, stack_from_args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_stack_arguments(parser, default_scale=1.0)
    add_load_arguments(parser)
    args = parser.parse_args()
    stack = stack_from_args(args)
    try:
        with stack:
            names = ["worker-kill", "redis-down", "postgres-restart"]
            return 0 if run_scenarios(stack, names, args) else 1
    except StackError as exc:
        print(f"FAIL: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
