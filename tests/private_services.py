"""Private Redis and PostgreSQL servers, and the app under gunicorn, for the fault tests.

Each server is this test run's own, on a free loopback port in a temporary folder, so a test may
stop and restart it without touching the machine's shared Redis (6379) or PostgreSQL (5432).
PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as the
`postgres` OS user. Everything started here is stopped and removed by `close()`.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import requests
from celery import Celery
from django.db import connection

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server")
ROOT = Path(__file__).resolve().parent.parent
FOLDER_PREFIX = "tracker-faults-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_binaries() -> str | None:
    if REDIS_SERVER is None:
        return "redis-server is not installed"
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL's initdb is not in {PG_BIN} (set PG_BIN)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as the postgres user"
    return None


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def children_of(pid: int) -> set[int]:
    """The processes `pid` started (Linux), from any of its threads."""
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(child) for child in (task / "children").read_text().split())
    return children


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
            [
                *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 10, "the private Redis to start")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.data = folder / "data"
        folder.chmod(0o777)

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(  # noqa: S603 - the machine's own PostgreSQL binaries
            [*as_postgres, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.folder,
        )

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"),
        )
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "tracker")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tracker"

    def start(self) -> None:
        """The server runs as a child of the test, in its process group (pg_ctl would detach
        it), so that killing the test run's group stops it too."""
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        log = (self.folder / "postgres.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the machine's own PostgreSQL binaries
            [
                *as_postgres,
                *(str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port)),
                *("-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"),
            ],
            stdout=log,
            stderr=log,
            cwd=self.folder,
        )
        wait_until(self.answers, 30, "the private PostgreSQL to start")

    def answers(self) -> bool:
        ready = subprocess.run(  # noqa: S603 - the machine's own PostgreSQL binaries
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return ready.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        if getattr(self, "process", None) is not None:
            self.process.wait(timeout=30)
            self.process = None


def reap_abandoned(prefix: str) -> None:
    """Stop the servers of an earlier run that was killed before it could clean up (its owner
    process is gone), and remove its folder."""
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = folder / "owner.pid"
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{pid}").exists():
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            PrivatePostgres(folder).stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


class App:
    """The tracker as production runs it: gunicorn, a Celery worker, manage.py commands."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "fault-tests-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "TRACKER_VAR_DIR": str(folder / "var"),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "CELERY_BROKER_URL": "",
            # The tests' clients all come from 127.0.0.1: no API rate limit, or they would see 429s.
            "API_RATE": "",
            **env,
        }
        self.processes: list[subprocess.Popen] = []
        self.gunicorn: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code).strip()

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, *args], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        self.processes.append(process)
        return process

    def start_web(self) -> None:
        self.gunicorn = self._spawn(
            "gunicorn",
            *("-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}"),
            *("--workers", "2", "--timeout", "30", "--graceful-timeout", "2"),
        )
        wait_until(self._web_answers, 30, "gunicorn to answer")

    def _web_answers(self) -> bool:
        try:
            return requests.get(self.base_url + "/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def web_worker_pids(self) -> set[int]:
        return children_of(self.gunicorn.pid)

    def start_celery_worker(self, name: str, *options: str) -> subprocess.Popen:
        return self._spawn(
            name, *("-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", *options)
        )

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def send_task(self, name: str, *args: str) -> None:
        """What beat does on schedule: put the task on the broker for a worker to run."""
        with Celery(broker=self.env["REDIS_URL"]) as client:
            client.send_task(name, args=list(args))

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Stack:
    """Private Redis and PostgreSQL, and the app on them, migrated, with the shipped reports."""

    def __init__(self, email_port: int) -> None:
        reap_abandoned(FOLDER_PREFIX)
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (self.folder / "owner.pid").write_text(str(os.getpid()))
        self.redis = PrivateRedis(self.folder)
        self.postgres = PrivatePostgres(self.folder)
        self.app = App(
            self.folder,
            {
                "DATABASE_URL": self.postgres.url,
                "REDIS_URL": self.redis.url,
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(email_port),
                "EMAIL_TIMEOUT": "5",
            },
        )

    def start(self, seed: str = "") -> str:
        """Start everything; migrate, load the reports, run `seed`; return what `seed` printed."""
        self.redis.start()
        self.postgres.init()
        seeded = self.app.shell(
            "import io\nfrom django.core.management import call_command\n"
            "call_command('migrate', interactive=False, verbosity=0)\n"
            "call_command('load_reports', stdout=io.StringIO())\n" + seed
        )
        self.app.start_web()
        return seeded

    def close(self) -> None:
        try:
            self.app.close()
        finally:
            self.redis.stop()
            try:
                self.postgres.stop("immediate")
            finally:
                shutil.rmtree(self.folder, ignore_errors=True)


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on, for a command started as a subprocess."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"
