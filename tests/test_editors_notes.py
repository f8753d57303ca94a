"""Editors' notes stay with editors: shown in the admin, never on any public surface.

Every `editors_note` field (and a check's note) holds a sentinel; every public route (pages,
feeds, calendars, badges, the API, the downloads), the published static copy and the subscribers'
e-mail are searched for it, and the admin is shown to carry it.
"""

import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.factories import ResponseFactory, make_editor
from tests.test_security_access import World, assert_nothing_private, readable
from tracker.jobs.notices import send_update_notices
from tracker.models import Check, Deadline, Recommendation, Report, Response, Source, StatusUpdate

pytestmark = pytest.mark.django_db

SENTINEL = "Zq8 editors-only note, to be checked"
NOTED = (Source, Report, Recommendation, Response, Deadline, StatusUpdate)


@pytest.fixture
def noted_world(settings):
    settings.API_RATE = None
    world = World()
    ResponseFactory(recommendation=world.other, organisation=world.theirs)
    Check.objects.create(
        recommendation=world.other,
        checked_on=world.published.describes_on,
        checked_by_name="Test editor",
        note=SENTINEL,
    )
    # The base manager's plain update: published updates refuse to be changed through their own
    # manager, and here the note is set as if it had been entered with them.
    for model in NOTED:
        assert model._base_manager.update(editors_note=SENTINEL) > 0, model
    return world


def test_no_public_route_shows_an_editors_note(client, noted_world):
    assert assert_nothing_private(client, noted_world, markers=(SENTINEL,)) > 40


def test_the_published_static_copy_shows_no_editors_note(noted_world, tmp_path):
    site = tmp_path / "site"
    call_command("build_site", "--out", str(site), stdout=io.StringIO())
    files = [path for path in Path(site).resolve().rglob("*") if path.is_file()]
    assert len(files) > 20
    assert [path.name for path in files if SENTINEL in readable(path.read_bytes())] == []


def test_subscribers_email_shows_no_editors_note(noted_world, settings):
    send_update_notices(noted_world.published.pk)
    assert mail.outbox
    for message in mail.outbox:
        bodies = [message.body, *(content for content, _ in message.alternatives)]
        assert all(SENTINEL not in body for body in bodies)


def test_editors_see_the_notes_in_the_admin(client, noted_world):
    client.force_login(make_editor())
    pages = [
        reverse("admin:tracker_recommendation_change", args=[noted_world.other.pk]),
        reverse("admin:tracker_source_change", args=[Source.objects.first().pk]),
        reverse("admin:tracker_deadline_change", args=[noted_world.deadline.pk]),
        reverse("admin:tracker_statusupdate_change", args=[noted_world.published.pk]),
        reverse("admin:tracker_check_changelist") + "?q=Zq8",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert SENTINEL in response.content.decode(), page
