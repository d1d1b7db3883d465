"""Helpers the fault scenarios share: a serial ground truth on a copy of the database, API calls
as a rollout manager, and the `main()` that gives a scenario script its own stack."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from stack import REPO_ROOT, VENV_BIN, StackError  # noqa: E402


def api(stack, method: str, path: str, body: dict | None = None, key: str | None = None):
    """(status, parsed JSON or raw text) of one request to the stack, as its rollout manager."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.base_url + path, data=data, method=method)
    request.add_header("Authorization", f"Api-Key {key or stack.manager_key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        return 0, str(exc)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def clone_database(stack, name: str) -> str:
    """Copy the stack's database into `name` with pg_dump | pg_restore (what docs/operations.md
    prescribes for backups); returns the copy's URL."""
    dump = stack.dir / f"{name}.dump"
    port = str(stack.pg_port)
    subprocess.run(
        [
            "pg_dump",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-Fc",
            "-f",
            str(dump),
            stack.db_name,
        ],
        check=True,
        timeout=600,
    )
    stack.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    stack.psql(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [
            "pg_restore",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "postgres",
            "-d",
            name,
            "--no-owner",
            str(dump),
        ],
        check=True,
        timeout=600,
    )
    return f"postgres://postgres@127.0.0.1:{port}/{name}"


def drop_database(stack, name: str) -> None:
    stack.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def serial_manage(stack, database_url: str, *args: str, timeout: float = 900):
    """`manage.py ARGS` on another database with no broker and no Redis: tasks run eagerly,
    in order, in that one process — the serial run a faulty one is compared with."""
    env = stack.env()
    env["DATABASE_URL"] = database_url
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"serial manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def query(database_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(
        database_url.replace("postgres://", "postgresql://"), connect_timeout=10
    ) as c:
        return c.execute(sql).fetchall()


def wait(predicate, timeout: float, interval: float = 0.5):
    """The predicate's first truthy value within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


def scenario_main(module_run, description: str, default_scale: float = 1.0) -> int:
    from load.run import add_load_arguments
    from stack import add_stack_arguments, stack_from_args

    from faults.report import print_summary

    parser = argparse.ArgumentParser(description=description)
    add_stack_arguments(parser, default_scale=default_scale)
    add_load_arguments(parser)
    args = parser.parse_args()
    stack = stack_from_args(args)
    try:
        with stack:
            return 0 if print_summary([module_run(stack, args)]) else 1
    except StackError as exc:
        print(f"FAIL: {exc}")
        return 1
