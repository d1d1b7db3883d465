"""Results of a scenario: named checks, figures, and a PASS/FAIL summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Result:
    scenario: str
    checks: list[Check] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        mark = "ok  " if ok else "FAIL"
        print(f"  [{mark}] {name}{': ' + detail if detail else ''}", flush=True)
        return bool(ok)

    def extend(self, checks: list[Check]) -> None:
        for c in checks:
            self.check(c.name, c.ok, c.detail)


def print_summary(results: list[Result]) -> bool:
    print("\n==================== summary ====================")
    for r in results:
        failed = [c.name for c in r.checks if not c.ok]
        verdict = "PASS" if r.passed else "FAIL"
        print(f"{verdict}  {r.scenario}: {len(r.checks) - len(failed)}/{len(r.checks)} checks")
        for name in failed:
            print(f"        failed: {name}")
    for r in results:
        print(f"\nfigures {r.scenario}: {json.dumps(r.figures, default=str, sort_keys=True)}")
    passed = bool(results) and all(r.passed for r in results)
    print(f"\n{'PASS' if passed else 'FAIL'}: {sum(r.passed for r in results)}/{len(results)}")
    return passed
