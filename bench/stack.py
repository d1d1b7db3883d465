"""The full Seatplan stack on 127.0.0.1, for load and fault tests (issue 8).

    .venv/bin/python bench/stack.py up [--scale 0.1]      # start it, print URL, key and pids
    .venv/bin/python bench/stack.py down                   # stop what `up` started
    .venv/bin/python bench/stack.py run-scenario NAME      # up, run NAME, down
        NAME: load | worker-kill | redis-down | postgres-restart | faults | all

What it starts, each a child process whose id is recorded and which is stopped by that id:

- a **private PostgreSQL 15 cluster** (initdb in a temporary directory, a free port, unix
  socket in the same directory) and a **private Redis** (free port; db 12 broker, db 13 cache),
  so the fault scenarios can stop and restart them without touching the machine's shared
  servers or anyone else's tests. `--shared-services` uses 127.0.0.1:5432 and :6379 instead
  (a throwaway database `seatplan_stack_<pid>`, Redis dbs 12/13), and the faults then restart
  *those* servers with the commands of shared/services.md;
- `migrate`, `seed_demo --scale S`, `collectstatic` and `recompute_costs` on that database;
- **gunicorn** (`config.wsgi`, production settings, DEBUG off, a generated SECRET_KEY,
  ALLOWED_HOSTS=127.0.0.1, plain HTTP on a free port, gunicorn's request limits raised above
  Django's as in production), a **Celery worker** (prefork, all three queues) **under
  supervisord** with the production config (deploy/supervisord-worker.conf: restarted whenever
  it exits) and **Celery beat** (its safety-net recompute every `--safety-net` seconds).

Every wait has a deadline. `Stack` is also a context manager for the scenario scripts in
bench/load/ and bench/faults/, which use its helpers (API keys, fault injection, Django access).
Run as root (the private cluster then runs as the `postgres` user) or as any user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from glob import glob
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
STATE_FILE = Path(os.environ.get("SEATPLAN_STACK_STATE", "/tmp/seatplan-stack.json"))
BROKER_DB, CACHE_DB = 12, 13
SCENARIOS = ("load", "worker-kill", "redis-down", "postgres-restart", "faults", "all")

for path in (str(REPO_ROOT), str(BENCH_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)


class StackError(RuntimeError):
    """The stack could not be brought to the state asked for."""


def say(message: str) -> None:
    print(f"[stack {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    """Poll `predicate` until it returns a truthy value; StackError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except StackError:
            raise
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by us) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def stop_pid(pid: int | None, sig: int = signal.SIGTERM, timeout: float = 20, group=True) -> None:
    """Send `sig` to the process (and its group, when it leads one); SIGKILL after `timeout`."""
    if not alive(pid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
    _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _children(pid: int | None) -> list[int]:
    if not pid:
        return []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _pg_bindir() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("postgres") or shutil.which("initdb")
    if exe:
        return Path(exe).parent
    raise StackError("PostgreSQL server binaries (initdb, postgres) not found")


class Stack:
    """The stack: start() / stop(), or `with Stack(...) as stack:`."""

    def __init__(
        self,
        *,
        scale: float = 0.1,
        web_workers: int = 3,
        worker_concurrency: int = 2,
        safety_net: int = 60,
        shared_services: bool = False,
        workdir: str | None = None,
    ):
        self.scale = scale
        self.web_workers = web_workers
        self.worker_concurrency = worker_concurrency
        self.safety_net = safety_net
        self.shared = shared_services
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="seatplan-stack-"))
        self.pids: dict[str, int] = {}
        self.pg_port = 5432 if shared_services else free_port()
        self.redis_port = 6379 if shared_services else free_port()
        self.web_port = free_port()
        self.db_name = f"seatplan_stack_{os.getpid()}" if shared_services else "seatplan"
        self.secret_key = secrets.token_urlsafe(64)
        self.manager_key = ""
        self._django_ready = False

    # --- derived --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/{self.db_name}"

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{BROKER_DB}"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{CACHE_DB}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            REDIS_URL=self.cache_url,
            CACHE_KEY_PREFIX="seatplan-stack",
            SECURE_SSL_REDIRECT="false",
            STATIC_ROOT=str(self.dir / "static"),
            COST_SAFETY_NET_SECONDS=str(self.safety_net),
            LOG_LEVEL="INFO",
            PYTHONPATH=str(REPO_ROOT),
            PYTHONUNBUFFERED="1",
        )
        return env

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        t0 = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        say(f"work dir {self.dir}")
        self.postgres_start(initialise=True)
        self.redis_start()
        self.save_state()
        self._create_database()
        self._prepare_database()
        self.web_start()
        self.worker_start()
        self.beat_start()
        self.save_state()
        self.wait_healthy(timeout=90)
        self.wait_worker(timeout=90)
        self.manager_key = self.create_api_user("stack-manager", "rollout_manager")
        self.save_state()
        say(f"stack up in {time.monotonic() - t0:.0f}s: {self.base_url}")

    def stop(self) -> None:
        for name in ("beat", "worker", "web"):
            # supervisord gives the worker 60 s for a warm shutdown before it kills it.
            timeout = 75 if name == "worker" else 20
            stop_pid(self.pids.pop(name, None), signal.SIGTERM, timeout=timeout)
        self._django_close()
        if self.shared:
            self._drop_shared_resources()
        else:
            self.redis_stop()
            self.postgres_stop()
        self.save_state(remove=True)
        say(f"stack down (logs kept in {self.dir})")

    # --- PostgreSQL -----------------------------------------------------------------------------

    def _pg_user_kwargs(self) -> dict:
        if os.geteuid() == 0:
            return {"user": "postgres", "group": "postgres", "extra_groups": []}
        return {}

    def postgres_start(self, *, initialise: bool = False) -> None:
        if self.shared:
            self._shared_pg("start")
            wait_until(self.postgres_ready, 60, "PostgreSQL to accept connections")
            return
        bindir = _pg_bindir()
        data = self.dir / "pgdata"
        kwargs = self._pg_user_kwargs()
        if initialise and not data.exists():
            data.mkdir(mode=0o700)
            if kwargs:
                shutil.chown(data, "postgres", "postgres")
            subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
                check=True,
                capture_output=True,
                timeout=120,
                **kwargs,
            )
        sockets = self.dir / "pgsocket"
        sockets.mkdir(mode=0o700, exist_ok=True)
        if kwargs:
            shutil.chown(sockets, "postgres", "postgres")
        log = open(self.log_path("postgres"), "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.pg_port),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=60",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **kwargs,
        )
        self.pids["postgres"] = proc.pid

        def ready():
            if proc.poll() is not None:
                raise StackError(f"PostgreSQL exited; see {self.log_path('postgres')}")
            return self.postgres_ready()

        wait_until(ready, 60, "PostgreSQL to accept connections")
        say(f"PostgreSQL up on 127.0.0.1:{self.pg_port} (pid {proc.pid})")

    def postgres_stop(self) -> None:
        """A fast shutdown (what `pg_ctl restart` does): sessions are cut, data is kept."""
        if self.shared:
            self._shared_pg("stop")
            return
        stop_pid(self.pids.pop("postgres", None), signal.SIGINT, timeout=60, group=False)

    def postgres_restart(self) -> float:
        """Stop and start PostgreSQL; returns the seconds it was unavailable."""
        t0 = time.monotonic()
        if self.shared:
            self._shared_pg("restart")
            wait_until(self.postgres_ready, 60, "PostgreSQL to come back")
        else:
            self.postgres_stop()
            self.postgres_start()
        self.save_state()
        return time.monotonic() - t0

    def _shared_pg(self, action: str) -> None:
        versions = sorted(os.listdir("/etc/postgresql"))
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action],
            check=True,
            timeout=120,
        )

    def postgres_ready(self) -> bool:
        result = subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(self.pg_port), "-q"],
            timeout=10,
            check=False,
        )
        return result.returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _create_database(self) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{self.db_name}"')

    # --- Redis ----------------------------------------------------------------------------------

    def redis_start(self) -> None:
        if self.shared:
            subprocess.run(
                [
                    "redis-server",
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "-::1",
                    "--port",
                    "6379",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    "/var/lib/redis",
                    "--logfile",
                    "/var/log/redis/ci.log",
                ],
                check=False,
                timeout=30,
            )
        else:
            proc = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                    "--logfile",
                    str(self.log_path("redis")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.pids["redis"] = proc.pid
        wait_until(self.redis_ready, 30, "Redis to answer PING")
        if self.shared:
            for db in (BROKER_DB, CACHE_DB):
                self.redis_cli("-n", str(db), "flushdb")
        say(f"Redis up on 127.0.0.1:{self.redis_port}")

    def redis_stop(self) -> None:
        """Redis goes away at once and forgets everything (it keeps nothing on disk)."""
        if self.shared:
            self.redis_cli("shutdown", "nosave")
            wait_until(lambda: not self.redis_ready(), 30, "Redis to stop")
            return
        stop_pid(self.pids.pop("redis", None), signal.SIGTERM, timeout=20, group=False)

    def redis_cli(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.redis_port), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip()

    def redis_ready(self) -> bool:
        return self.redis_cli("ping") == "PONG"

    def _drop_shared_resources(self) -> None:
        with contextlib.suppress(Exception):
            self.psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            for db in (BROKER_DB, CACHE_DB):
                self.redis_cli("-n", str(db), "flushdb")

    # --- Django ---------------------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 900, check: bool = True):
        result = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result

    def _prepare_database(self) -> None:
        t0 = time.monotonic()
        self.manage("migrate", "--noinput", "-v", "0")
        say(f"migrated in {time.monotonic() - t0:.0f}s; seeding the demo at scale {self.scale}")
        t0 = time.monotonic()
        self.manage("seed_demo", "--scale", str(self.scale))
        say(f"seeded in {time.monotonic() - t0:.0f}s")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("recompute_costs")

    def create_api_user(self, username: str, role: str, agencies: tuple[str, ...] = ()) -> str:
        """`manage.py create_api_user`; returns the key (its last output line)."""
        args = ["create_api_user", "--username", username, "--role", role]
        for code in agencies:
            args += ["--agency", code]
        return self.manage(*args).stdout.strip().splitlines()[-1]

    def create_api_users(self, specs: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
        """Many API users in one interpreter (the same command, called in a loop)."""
        script = (
            "import io, json, sys\n"
            "from django.core.management import call_command\n"
            "keys = []\n"
            f"for username, role, agencies in {specs!r}:\n"
            "    out = io.StringIO()\n"
            "    extra = [a for code in agencies for a in ('--agency', code)]\n"
            "    call_command('create_api_user', '--username', username, '--role', role,"
            " *extra, stdout=out)\n"
            "    keys.append(out.getvalue().strip().splitlines()[-1])\n"
            "print(json.dumps(keys))\n"
        )
        result = self.manage("shell", "-c", script)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def django(self):
        """Set up Django in this process against the stack's database (for checks)."""
        if not self._django_ready:
            os.environ.update(self.env())
            import django

            django.setup()
            import config.celery  # noqa: F401 - tasks sent from here go to the stack's broker

            self._django_ready = True
        self._django_close()
        return self

    def _django_close(self) -> None:
        if self._django_ready:
            from django.db import connections

            connections.close_all()

    # --- web, worker, beat ----------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], extra_env: dict | None = None) -> int:
        log = open(self.log_path(name), "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            env={**self.env(), **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pids[name] = proc.pid
        return proc.pid

    def web_start(self) -> None:
        pid = self._spawn(
            "web",
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.web_workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "10",
                # The default control socket is one per user (~/.gunicorn): leave others' alone.
                "--control-socket",
                str(self.dir / "gunicorn.ctl"),
                # The path without the query string: filters may carry names or addresses.
                "--access-logfile",
                str(self.log_path("access")),
                "--access-logformat",
                '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                # Above Django's limits (config/request_limits.py), as in production.
                "--limit-request-line",
                "8190",
                "--limit-request-field_size",
                "16380",
            ],
        )
        say(f"gunicorn pid {pid} on {self.base_url} ({self.web_workers} workers)")

    def worker_start(self) -> None:
        """supervisord with the production config, which starts the Celery worker and starts it
        again whenever it exits; `pids["worker"]` is supervisord's."""
        options = (
            "-Q default,costs,bulk,notify,vendor --pool prefork "
            f"--concurrency {self.worker_concurrency} -n {self.worker_node} "
            "--without-gossip --without-mingle -l info"
        )
        env = {
            "SUPERVISOR_RUN_DIR": str(self.dir),
            "CELERY_WORKER_OPTS": options,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        pid = self._spawn(
            "worker",
            [
                str(VENV_BIN / "supervisord"),
                "-c",
                str(REPO_ROOT / "deploy" / "supervisord-worker.conf"),
            ],
            extra_env=env,
        )
        say(f"supervisord pid {pid} running the celery worker")

    @property
    def worker_node(self) -> str:
        return f"stack-{os.getpid()}@%h"

    def celery_worker_pid(self) -> int | None:
        """The Celery worker's main process: supervisord's child (None while it restarts)."""
        children = _children(self.pids.get("worker"))
        return children[0] if children else None

    def worker_restarts(self) -> int:
        """How often supervisord has started the worker again after it exited."""
        log = self.log_path("worker").read_text(errors="replace")
        return log.count("exited: celery-worker")

    def beat_start(self) -> None:
        pid = self._spawn(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "-s",
                str(self.dir / "celerybeat-schedule"),
                "--pidfile=",
            ],
        )
        say(f"celery beat pid {pid} (safety net every {self.safety_net}s)")

    def supervise(self) -> list[str]:
        """Start again whichever of web, supervisord (the worker's supervisor) and beat has
        exited, as the production restart policy does (docker compose `restart`, systemd
        `Restart=always`); returns their names. The Celery worker itself is supervisord's to
        restart."""
        starters = {"web": self.web_start, "worker": self.worker_start, "beat": self.beat_start}
        restarted = [name for name in starters if not alive(self.pids.get(name))]
        for name in restarted:
            say(f"{name} had exited; restarting it (supervisor)")
            starters[name]()
        if restarted:
            self.save_state()
        return restarted

    def worker_child_pids(self) -> list[int]:
        """The prefork pool's processes (children of the worker's main process)."""
        return _children(self.celery_worker_pid())

    def worker_kill(self) -> int | None:
        """SIGKILL the whole Celery worker (main process and pool, its process group) at once:
        no warm shutdown. supervisord sees it exit and starts it again by itself; returns the
        killed main process's id."""
        pid = self.celery_worker_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            wait_until(lambda: not alive(pid), 10, "the worker to die")
        return pid

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def health(self) -> dict:
        status, body = self.get("/api/v1/health")
        return {"http": status, **json.loads(body)}

    def wait_healthy(self, timeout: float = 60) -> dict:
        def ok():
            for name in ("web", "worker", "beat"):
                if name in self.pids and not alive(self.pids[name]):
                    raise StackError(f"{name} exited; see {self.log_path(name)}")
            h = self.health()
            return h if h.get("status") == "ok" else None

        def check():
            try:
                return ok()
            except (OSError, ValueError):
                return None

        return wait_until(check, timeout, "GET /api/v1/health to answer ok", interval=0.5)

    def wait_worker(self, timeout: float = 60) -> None:
        def ping():
            if not alive(self.pids.get("worker")):
                raise StackError(f"supervisord exited; see {self.log_path('worker')}")
            result = subprocess.run(
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "config",
                    "inspect",
                    "ping",
                    "--timeout",
                    "2",
                    "-d",
                    f"stack-{os.getpid()}@{socket.gethostname()}",
                ],
                cwd=REPO_ROOT,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            return result.returncode == 0

        deadline = time.monotonic() + timeout
        while not ping():
            if time.monotonic() > deadline:
                raise StackError(f"the worker did not answer a ping within {timeout:.0f}s")
            time.sleep(1)

    # --- state file for up/down -----------------------------------------------------------------

    def save_state(self, remove: bool = False) -> None:
        if remove:
            with contextlib.suppress(FileNotFoundError):
                if json.loads(STATE_FILE.read_text()).get("dir") == str(self.dir):
                    STATE_FILE.unlink()
            return
        state = {
            "dir": str(self.dir),
            "pids": self.pids,
            "shared": self.shared,
            "db_name": self.db_name,
            "pg_port": self.pg_port,
            "redis_port": self.redis_port,
            "web_port": self.web_port,
            "scale": self.scale,
            "secret_key": self.secret_key,
            "manager_key": self.manager_key,
            "safety_net": self.safety_net,
        }
        STATE_FILE.write_text(json.dumps(state, indent=2))
        os.chmod(STATE_FILE, 0o600)

    @classmethod
    def from_state(cls) -> Stack:
        state = json.loads(STATE_FILE.read_text())
        stack = cls(
            scale=state["scale"],
            shared_services=state["shared"],
            workdir=state["dir"],
            safety_net=state["safety_net"],
        )
        stack.pids = {k: int(v) for k, v in state["pids"].items()}
        stack.db_name, stack.pg_port = state["db_name"], state["pg_port"]
        stack.redis_port, stack.web_port = state["redis_port"], state["web_port"]
        stack.secret_key, stack.manager_key = state["secret_key"], state["manager_key"]
        return stack


# --- scenarios ------------------------------------------------------------------------------------


def run_scenarios(stack: Stack, names: list[str], args) -> bool:
    import importlib

    from faults.report import Result, print_summary

    modules = {
        "load": "load.run",
        "worker-kill": "faults.worker_kill",
        "redis-down": "faults.redis_down",
        "postgres-restart": "faults.postgres_restart",
    }
    results = []
    for name in names:
        try:
            results.append(importlib.import_module(modules[name]).run(stack, args))
        except Exception as exc:  # one broken scenario must not hide the others' results
            traceback.print_exc()
            failed = Result(name)
            failed.check("the scenario ran to its end", False, repr(exc))
            results.append(failed)
    return print_summary(results)


def expand(name: str) -> list[str]:
    if name == "faults":
        return ["worker-kill", "redis-down", "postgres-restart"]
    if name == "all":
        return ["load", "worker-kill", "redis-down", "postgres-restart"]
    return [name]


def add_stack_arguments(parser: argparse.ArgumentParser, default_scale: float = 0.1) -> None:
    parser.add_argument("--scale", type=float, default=default_scale, help="seed_demo --scale")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--safety-net", type=int, default=60, help="seconds between beat's cost recomputes"
    )
    parser.add_argument(
        "--shared-services",
        action="store_true",
        help="use (and, in fault scenarios, restart) the machine's PostgreSQL and Redis",
    )
    parser.add_argument("--keep", action="store_true", help="leave the stack running at the end")


def stack_from_args(args) -> Stack:
    return Stack(
        scale=args.scale,
        web_workers=args.web_workers,
        worker_concurrency=args.worker_concurrency,
        safety_net=args.safety_net,
        shared_services=args.shared_services,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    up = sub.add_parser("up", help="start the stack and leave it running")
    add_stack_arguments(up)
    sub.add_parser("down", help="stop the stack `up` started")
    scenario = sub.add_parser("run-scenario", help="up, run a scenario, down")
    scenario.add_argument("name", choices=SCENARIOS)
    # The scenarios need the full demo: at 0.1 the load phase uses up the people the Redis
    # outage's managers would activate, and that scenario has nothing left to show.
    add_stack_arguments(scenario, default_scale=1.0)
    from load.run import add_load_arguments

    add_load_arguments(scenario)
    args = parser.parse_args(argv)

    if args.command is None:
        parser.print_help()
        print("\nNothing started (make bench runs this file without arguments).")
        return 0
    if args.command == "down":
        if not STATE_FILE.exists():
            print(f"No stack recorded in {STATE_FILE}; nothing to stop.")
            return 0
        Stack.from_state().stop()
        print("PASS: stack stopped")
        return 0
    if args.command == "up":
        if STATE_FILE.exists():
            old = Stack.from_state()
            if any(alive(p) for p in old.pids.values()):
                print(f"FAIL: a stack is already up (state in {STATE_FILE}); run `down` first")
                return 1
        stack = stack_from_args(args)
        try:
            stack.start()
        except BaseException as exc:
            stack.stop()
            print(f"FAIL: {exc}")
            return 1
        print(
            json.dumps(
                {
                    "url": stack.base_url,
                    "manager_api_key": stack.manager_key,
                    "database_url": stack.database_url,
                    "broker_url": stack.broker_url,
                    "cache_url": stack.cache_url,
                    "pids": stack.pids,
                    "logs": str(stack.dir),
                    "state_file": str(STATE_FILE),
                },
                indent=2,
            )
        )
        print("PASS: stack up; stop it with `bench/stack.py down`")
        return 0
    stack = stack_from_args(args)
    try:
        stack.start()
        passed = run_scenarios(stack, expand(args.name), args)
    except StackError as exc:
        print(f"FAIL: {exc}")
        passed = False
    finally:
        if args.keep:
            say(f"left running (--keep); state in {STATE_FILE}")
        else:
            stack.stop()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
