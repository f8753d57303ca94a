"""Admin log-in security: lockout after repeated wrong passwords (django-axes) and optional
two-factor log-in with a TOTP authenticator app (django-otp), driven through the log-in form."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import make_editor

PASSWORD = "correct horse battery staple"  # noqa: S105 (UserFactory's password)
LOGIN_URL = reverse("admin:login")
INDEX_URL = reverse("admin:index")
NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


def log_in(client, username, password, code="", address="127.0.0.1"):
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password, "otp_token": code, "next": INDEX_URL},
        REMOTE_ADDR=address,
    )


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows for this device now (the clock tests travel to)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def is_in_admin(client) -> bool:
    return client.get(INDEX_URL).status_code == 200


@pytest.fixture
def fail_after_three(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_MINUTES = 15
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


# --- Lockout ------------------------------------------------------------------------------------


def test_wrong_passwords_lock_out_that_user_name_from_that_address(client, fail_after_three):
    make_editor("ruth")
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            response = log_in(client, "ruth", "wrong password")
            assert response.status_code == 200
            assert "Please enter the correct username and password" in response.content.decode()
        locked = log_in(client, "ruth", "wrong password")
        assert locked.status_code == 429
        page = locked.content.decode()
        assert "Log-in is paused for this account after 3 failed attempts" in page
        assert "Try again in 15 minutes" in page

        # Even the right password is refused while locked, and nothing is logged in.
        again = log_in(client, "ruth", PASSWORD)
        assert again.status_code == 429
        assert not is_in_admin(client)

        # The lockout is for the account, whatever address the next attempt comes from.
        assert log_in(client, "ruth", PASSWORD, address="192.0.2.7").status_code == 429

    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        client.logout()
        assert log_in(client, "ruth", PASSWORD).status_code == 302
        assert is_in_admin(client)


def test_a_successful_log_in_resets_the_count(client, fail_after_three):
    make_editor("sam")
    with time_machine.travel(NOW, tick=False):
        log_in(client, "sam", "wrong password")
        log_in(client, "sam", "wrong password")
        assert log_in(client, "sam", PASSWORD).status_code == 302
        client.logout()
        log_in(client, "sam", "wrong password")
        log_in(client, "sam", "wrong password")
        assert log_in(client, "sam", PASSWORD).status_code == 302


def test_another_user_name_is_not_locked_by_someone_elses_failures(client, fail_after_three):
    make_editor("ruth")
    make_editor("tom")
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            log_in(client, "ruth", "wrong password")
        assert log_in(client, "tom", PASSWORD).status_code == 302


# --- Two-factor log-in --------------------------------------------------------------------------


def test_staff_without_a_device_log_in_with_a_password_alone(client):
    make_editor("una")
    response = log_in(client, "una", PASSWORD)
    assert response.status_code == 302
    assert is_in_admin(client)


def test_staff_with_a_device_must_give_its_current_code(client):
    user = make_editor("vera")
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        missing = log_in(client, "vera", PASSWORD)
        assert missing.status_code == 200
        assert "the code from your authenticator app" in missing.content.decode()
        assert not is_in_admin(client)

        wrong_code = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        wrong = log_in(client, "vera", PASSWORD, code=wrong_code)
        assert "the code from your authenticator app" in wrong.content.decode()
        assert not is_in_admin(client)

    with time_machine.travel(NOW + datetime.timedelta(seconds=90), tick=False):
        device.refresh_from_db()
        good = log_in(client, "vera", PASSWORD, code=code_for(device))
        assert good.status_code == 302
        assert is_in_admin(client)
        # The same code cannot be used twice.
        client.logout()
        replay = log_in(client, "vera", PASSWORD, code=code_for(device))
        assert replay.status_code == 200
        assert not is_in_admin(client)


def test_a_code_does_not_replace_a_wrong_password(client):
    user = make_editor("wyn")
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        response = log_in(client, "wyn", "wrong password", code=code_for(device))
        assert "Please enter the correct username and password" in response.content.decode()
        assert not is_in_admin(client)


def test_a_session_without_the_code_is_not_let_in_once_a_device_exists(client):
    user = make_editor("xan")
    client.force_login(user)
    assert is_in_admin(client)
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    response = client.get(INDEX_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_member_of_staff_turns_two_factor_on_and_off(client):
    user = make_editor("yara")
    client.force_login(user)
    setup_url = reverse("admin:two_factor")
    assert "Two-factor log-in is <strong>off</strong>" in client.get(setup_url).content.decode()
    assert 'href="/admin/two-factor/"' in client.get(INDEX_URL).content.decode()

    with time_machine.travel(NOW, tick=False):
        client.post(setup_url, {"action": "start"})
        pending = TOTPDevice.objects.get(user=user)
        assert not pending.confirmed
        page = client.get(setup_url).content.decode()
        assert "otpauth://totp/" in page
        # Until confirmed, the device asks for nothing.
        assert is_in_admin(client)

        refused = client.post(setup_url, {"action": "confirm", "otp_token": "000000"})
        assert "That code is not right or has expired" in refused.content.decode()
        pending.refresh_from_db()
        assert not pending.confirmed

    with time_machine.travel(NOW + datetime.timedelta(seconds=60), tick=False):
        code = code_for(pending)
        client.post(setup_url, {"action": "confirm", "otp_token": code})
        pending.refresh_from_db()
        assert pending.confirmed
        # This session gave the code, so it stays in; a new one must give a code.
        assert is_in_admin(client)
        assert "Two-factor log-in is <strong>on</strong>" in client.get(setup_url).content.decode()

    with time_machine.travel(NOW + datetime.timedelta(seconds=120), tick=False):
        code = code_for(pending)
        client.post(setup_url, {"action": "turn_off", "otp_token": code})
        assert not TOTPDevice.objects.filter(user=user).exists()
        client.logout()
        assert log_in(client, "yara", PASSWORD).status_code == 302


def test_make_runs_local_admin_logs_in_through_the_form(client, settings, tmp_path):
    """`make run` prints a local admin login; it works with the password alone."""
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("ensure_local_admin", stdout=io.StringIO())
    password = (tmp_path / "admin-password").read_text()
    assert log_in(client, "admin", password).status_code == 302
    assert is_in_admin(client)


def test_behind_a_proxy_the_lockout_counts_the_address_the_proxy_saw(
    client, settings, fail_after_three
):
    settings.TRUSTED_PROXY_COUNT = 1
    make_editor("zoe")

    def attempt(password: str, forwarded_for: str) -> int:
        return client.post(
            LOGIN_URL,
            {"username": "zoe", "password": password, "next": INDEX_URL},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    with time_machine.travel(NOW, tick=False):
        assert [attempt("wrong", "203.0.113.1") for _ in range(2)] == [200, 200]
        # The count is the address the proxy saw: what the client wrote to its left is not
        # believed, so forging it neither resets the count nor escapes it.
        assert attempt("wrong", "198.51.100.7, 203.0.113.1") == 429
        assert attempt(PASSWORD, "198.51.100.8, 203.0.113.1") == 429
    with time_machine.travel(NOW + datetime.timedelta(minutes=16), tick=False):
        # A header that is not an address falls back to the proxy's own: no error.
        assert attempt(PASSWORD, "not an address") == 302


def test_the_account_is_locked_whatever_address_the_guesses_come_from(client, fail_after_three):
    """A per-account lockout: three wrong passwords from three addresses lock the account."""
    make_editor("abe")
    with time_machine.travel(NOW, tick=False):
        for address in ("192.0.2.1", "192.0.2.2"):
            assert log_in(client, "abe", "wrong password", address=address).status_code == 200
        assert log_in(client, "ABE", "wrong password", address="192.0.2.3").status_code == 429
        assert log_in(client, "abe", PASSWORD, address="192.0.2.4").status_code == 429
        assert not is_in_admin(client)


def test_two_factor_errors_do_not_tell_whether_the_password_was_right(client, fail_after_three):
    user = make_editor("bea")
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)

    def errors(response) -> list[str]:
        return list(response.context["form"].non_field_errors())

    with time_machine.travel(NOW, tick=False):
        wrong_code = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        wrong_password = errors(log_in(client, "bea", "wrong password", code=wrong_code))
        right_password_no_code = errors(log_in(client, "bea", PASSWORD))
        assert wrong_password == right_password_no_code
        # Each of those counted as a failure: the third attempt, even a right password with a
        # wrong code, locks the account.
        assert log_in(client, "bea", PASSWORD, code=wrong_code).status_code == 429


def test_staff_sessions_last_hours_not_weeks(client, settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    make_editor("cy")
    assert log_in(client, "cy", PASSWORD).status_code == 302
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1pass!", "at least 12 characters"),
        ("password1234", "too common"),
    ],
)
def test_passwords_are_long_and_not_common(client, password, message):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        validate_password(password)
    validate_password("a long and unusual passphrase 47")
