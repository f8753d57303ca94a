"""Structured logs: one line per request with its id, method, path, status and duration."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REQUESTS = """
import django
django.setup()
from django.test import Client
client = Client()
client.get("/healthz", HTTP_X_REQUEST_ID="probe-42")
client.get("/no-such-page/")
"""


def run_app_code(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh process with the settings a fresh environment gives (local services)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_LOG_FORMAT"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", TRACKER_VAR_DIR=str(tmp_path), **env
    )
    return subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_with_json_format_each_request_is_one_parseable_line_with_its_fields(tmp_path):
    result = run_app_code(REQUESTS, tmp_path, DJANGO_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "tracker.requests"]
    assert len(requests) == 2
    probe, missing = requests
    assert probe["request_id"] == "probe-42"
    assert (probe["method"], probe["path"], probe["status"]) == ("GET", "/healthz", 200)
    assert isinstance(probe["duration_ms"], float)
    assert probe["level"] == "INFO"
    assert probe["time"]
    assert (missing["path"], missing["status"]) == ("/no-such-page/", 404)
    assert len(missing["request_id"]) == 32


def test_plain_format_is_the_local_default(tmp_path):
    result = run_app_code(REQUESTS, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "INFO tracker.requests GET /healthz 200" in result.stderr
    assert not result.stderr.lstrip().startswith("{")


def test_an_unknown_log_format_stops_the_app_naming_the_variable(tmp_path):
    result = run_app_code("import django; django.setup()", tmp_path, DJANGO_LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT must be plain or json, not 'xml'" in result.stderr


@pytest.mark.django_db
def test_the_request_id_is_sent_back_and_a_made_up_one_is_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="tracker.requests")

    kept = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>" * 20)

    assert kept["X-Request-ID"] == "abc-123"
    assert len(replaced["X-Request-ID"]) == 32
    assert [record.request_id for record in caplog.records] == [
        "abc-123",
        replaced["X-Request-ID"],
    ]


@pytest.mark.django_db
def test_secret_tokens_in_paths_are_logged_as_the_url_pattern(client, caplog):
    caplog.set_level(logging.INFO)

    client.get("/subscriptions/unsubscribe/secret-token-value/")

    (record,) = [record for record in caplog.records if record.name == "tracker.requests"]
    assert record.path == "/subscriptions/unsubscribe/<str:token>/"
    assert "secret-token-value" not in caplog.text
