"""Management commands that `make run` relies on."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_local_admin_is_created_once_and_its_login_printed(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("ensure_local_admin")
    first = capsys.readouterr().out
    call_command("ensure_local_admin")
    second = capsys.readouterr().out
    password = (tmp_path / "admin-password").read_text()
    assert f"password: {password}" in first
    assert first == second
    users = get_user_model().objects.filter(username="admin")
    assert users.count() == 1
    assert users.get().check_password(password)
    assert users.get().is_superuser
