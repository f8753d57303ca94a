"""The deployment files agree with the code: Dockerfile, docker-compose.yml, Procfile.

There is no container engine here, so the image is not built; instead each file is parsed and
checked against the project (commands that exist, settings that are read, files that are copied),
and the Procfile's web command is run for real under gunicorn and answers /healthz.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()
# Read by gunicorn itself, or by the PostgreSQL image; not Django settings.
NOT_DJANGO_SETTINGS = {
    "PORT",
    "WEB_CONCURRENCY",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
}


def read_by_settings(name: str) -> bool:
    return re.search(rf"""["']{re.escape(name)}["']""", SETTINGS_SOURCE) is not None


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = [line.split(":", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): command.strip() for name, command in entries}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    instructions = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(word.upper(), rest) for word, rest in instructions]


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_runs_web_worker_beat_postgresql_and_redis_from_one_image():
    services = compose()["services"]

    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert command_of(services["web"])[:2] == ["gunicorn", "config.wsgi"]
    assert command_of(services["worker"])[:4] == ["celery", "-A", "config", "worker"]
    assert command_of(services["beat"])[:4] == ["celery", "-A", "config", "beat"]
    assert command_of(services["migrate"]) == ["python", "manage.py", "migrate", "--no-input"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["build"] == "."
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_every_variable_compose_and_the_dockerfile_set_is_one_the_settings_read():
    services = compose()["services"]
    names = {
        name for service in ("web", "worker", "beat") for name in services[service]["environment"]
    }
    for instruction, rest in dockerfile_instructions():
        if instruction == "ENV":
            names |= set(re.findall(r"([A-Z][A-Z0-9_]*)=", rest))
    names -= {name for name in names if name.startswith(("PYTHON", "PIP_"))}

    unknown = sorted(name for name in names - NOT_DJANGO_SETTINGS if not read_by_settings(name))
    assert unknown == []
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "SITE_URL"} <= names


def test_secrets_are_never_written_into_the_compose_file():
    environment = compose()["services"]["web"]["environment"]

    for name in ("DJANGO_SECRET_KEY", "EMAIL_HOST_PASSWORD"):
        assert environment[name].startswith("${")
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]


def test_the_procfile_has_release_web_worker_and_beat():
    entries = procfile()

    assert entries["release"] == "python manage.py migrate --no-input"
    assert entries["web"].startswith("gunicorn config.wsgi ")
    assert entries["worker"].startswith("celery -A config worker ")
    assert entries["beat"].startswith("celery -A config beat ")


def test_the_dockerfile_builds_on_python_311_slim_installs_the_project_and_runs_unprivileged():
    instructions = dockerfile_instructions()
    words = [word for word, _ in instructions]
    runs = " ".join(rest for word, rest in instructions if word == "RUN")

    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert "pip install ." in runs
    assert "manage.py collectstatic --no-input" in runs
    users = [rest for word, rest in instructions if word == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    assert words.index("USER") > max(i for i, word in enumerate(words) if word == "RUN")
    assert json.loads(dict(instructions)["CMD"])[:2] == ["gunicorn", "config.wsgi"]


def test_what_the_dockerfile_copies_exists_and_is_not_ignored():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    sources = [
        source
        for word, rest in dockerfile_instructions()
        if word == "COPY"
        for source in rest.split()[:-1]
    ]

    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") not in ignored, source
    assert {".git", ".venv", "var", ".env", "tests"} <= ignored


def test_the_celery_app_named_by_worker_and_beat_has_every_scheduled_job():
    from config.celery import app

    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


def assemble_image_files(app: Path) -> None:
    """Copy what the Dockerfile's COPY instructions copy, where they copy it."""
    for word, rest in dockerfile_instructions():
        if word != "COPY":
            continue
        *sources, destination = rest.split()
        for source in sources:
            target = app / destination / source if destination.endswith("/") else app / destination
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target)


def image_environment(app: Path, var: Path) -> dict[str, str]:
    """This environment without service URLs, with the Dockerfile's variables for /app."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY"}
    }
    environment.update(
        PATH=f"{VENV_BIN}{os.pathsep}{environment.get('PATH', '')}",
        PYTHONPATH=str(app),
        DJANGO_STATIC_ROOT=str(app / "staticfiles"),
        TRACKER_VAR_DIR=str(var),
        TRACKER_PUBLISH_DIR=str(app / "published" / "site"),
        DJANGO_LOG_FORMAT="json",
    )
    return environment


def test_the_image_files_collect_static_and_the_procfile_web_command_serves_them(tmp_path):
    """The files the Dockerfile copies are enough: collectstatic runs as in the build, and the
    Procfile's gunicorn line, started in that folder, answers /healthz and serves static files."""
    app = tmp_path / "app"
    assemble_image_files(app)
    environment = image_environment(app, tmp_path / "var")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=app,
        env={**environment, "DJANGO_SECRET_KEY": "collectstatic-only"},
        check=True,
        timeout=120,
    )
    assert (app / "staticfiles" / "tracker" / "site.css").exists()

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - the project's own Procfile line
        ["/bin/sh", "-c", "exec " + procfile()["web"]],
        cwd=app,
        env={**environment, "PORT": str(port), "WEB_CONCURRENCY": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        answer = None
        deadline = time.monotonic() + 30
        while answer is None and time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"gunicorn stopped: {server.stderr.read()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
                    answer = (response.status, json.load(response))
            except OSError:
                time.sleep(0.2)
        assert answer == (200, {"database": "ok", "cache": "ok", "broker": "ok"})
        with urllib.request.urlopen(f"{base}/static/tracker/site.css", timeout=5) as response:  # noqa: S310
            assert (
                response.read()
                == (ROOT / "tracker" / "static" / "tracker" / "site.css").read_bytes()
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    request_lines = [
        json.loads(line)
        for line in server.stderr.read().splitlines()
        if line.startswith("{") and '"tracker.requests"' in line
    ]
    assert [(line["path"], line["status"]) for line in request_lines][-2:] == [
        ("/healthz", 200),
        ("/static/tracker/site.css", 200),
    ]


def test_compose_publishes_the_web_port_on_loopback_while_it_trusts_a_proxy():
    web = compose()["services"]["web"]
    trusted = (
        web["environment"].get("TRUSTED_PROXY_COUNT")
        or compose()["x-app"]["environment"]["TRUSTED_PROXY_COUNT"]
    )
    assert trusted != "0"
    for mapping in web["ports"]:
        assert str(mapping).startswith("127.0.0.1:"), mapping


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
    "SITE_URL": "https://tracker.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DJANGO_SECRET_KEY",
            "DJANGO_DEBUG",
            "SITE_URL",
            "DJANGO_ALLOWED_HOSTS",
            # Set by the browser tests in this process; never in a deployment.
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_shared_secret_key():
    refused = manage("check", "--deploy", **PRODUCTION)
    assert refused.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in refused.stderr
    allowed = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="deploy-check-only-" + "x" * 40,
        **PRODUCTION,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_ensure_local_admin_refuses_production_settings():
    refused = manage(
        "ensure_local_admin", DJANGO_SECRET_KEY="deploy-check-only-" + "x" * 40, **PRODUCTION
    )
    assert refused.returncode != 0
    assert "for a tracker on this machine only" in refused.stderr


def load_wsgi(**env: str) -> subprocess.CompletedProcess:
    """Import the WSGI entry point as gunicorn does, in a process of its own."""
    script = (
        "import gc, config.wsgi; "
        "print(*gc.get_threshold(), gc.get_freeze_count() > 50000, config.wsgi.application)"
    )
    return subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_web_worker_freezes_what_loading_made_and_collects_garbage_less_often():
    loaded = load_wsgi()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split()[:4] == ["10000", "20", "20", "True"]


def test_the_garbage_collector_thresholds_can_be_set_and_bad_ones_are_refused():
    loaded = load_wsgi(PYTHON_GC_THRESHOLD="700,10,10")
    assert loaded.stdout.split()[:3] == ["700", "10", "10"]
    for bad in ("often", "0", "10,x", "1,2,3,4"):
        refused = load_wsgi(PYTHON_GC_THRESHOLD=bad)
        assert refused.returncode != 0
        assert f"PYTHON_GC_THRESHOLD is “{bad}”" in refused.stderr
