"""The weekly digest, received by a real SMTP server and read as a person would."""

import datetime
import html
import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ContactFactory,
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
    StatusUpdateFactory,
    UserFactory,
    make_editor,
)
from tracker.jobs import emails
from tracker.jobs.digests import plan_digests
from tracker.models import Check, Contact, Deadline, EmailLog, Recommendation, ResponseKind

pytestmark = pytest.mark.django_db

WEEK = "2026-W03"  # Monday 12 January 2026
MONDAY = datetime.date(2026, 1, 12)
LINK = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def world(settings):
    settings.SITE_URL = "https://tracker.example.org"
    settings.SILENCE_DAYS = 90
    report = ReportFactory(short_name="Test audit", slug="test-audit")
    owner = OrganisationFactory(name="Example Department", slug="example-department")
    quiet = OrganisationFactory(name="Example Agency", slug="example-agency")
    late = RecommendationFactory(report=report, number=1, title="Publish the example plan")
    later = RecommendationFactory(report=report, number=2, title="Set up the example body")
    soon = RecommendationFactory(report=report, number=3, title="Consult on the example duty")
    for rec in (late, later, soon):
        OwnershipFactory(recommendation=rec, organisation=owner)
        ResponseFactory(recommendation=rec, organisation=owner)  # accepted in 2023
    DeadlineFactory(recommendation=late)  # by the end of 2025: 12 days overdue on 12 January
    DeadlineFactory(
        recommendation=later,
        stated_as="by June 2025",
        precision=Deadline.Precision.MONTH,
        due_date=datetime.date(2025, 6, 30),
    )
    DeadlineFactory(
        recommendation=soon,
        stated_as="by January 2026",
        precision=Deadline.Precision.MONTH,
        due_date=datetime.date(2026, 1, 31),
    )
    StatusUpdateFactory(
        recommendation=late,
        describes_on=datetime.date(2025, 12, 1),
        summary="A draft plan was circulated to partners.",
        published=True,
    )
    return {
        "owner": owner,
        "quiet": quiet,
        "late": late,
        "later": later,
        "soon": soon,
        "contact": ContactFactory(
            organisation=owner, name="Demo Contact One", email="one@example.org"
        ),
        "quiet_contact": ContactFactory(organisation=quiet, email="quiet@example.org"),
    }


def send(week: str = WEEK) -> str:
    out = StringIO()
    call_command("send_weekly_digests", "--week", week, stdout=out)
    return out.getvalue()


def links(received) -> tuple[list[str], list[str]]:
    return LINK.findall(received.text), LINK.findall(received.html.replace("&amp;", "&"))


def test_a_contact_gets_one_digest_with_both_parts_and_working_links(world, smtp_server, client):
    send()

    (received,) = smtp_server.messages
    assert received.recipients == ["one@example.org"]
    subject = received.message["Subject"]
    assert subject == f"Example Department: 2 overdue, 1 coming due (week {WEEK})"
    for part in (received.text, received.html):
        assert "Test audit 2: Set up the example body" in part
        assert "by June 2025 (due 30 June 2025), 196 days overdue" in part
        assert "by the end of 2025 (due 31 December 2025), 12 days overdue" in part
        assert "1 December 2025, the owner" in part
        assert "statement: A draft plan was circulated to partners." in part
        assert "Latest update: none published" in part
        assert "by January 2026 (due 31 January 2026)" in part
        assert "!" not in part.removeprefix("<!doctype html>")
        # Most overdue first, then what comes due.
        assert part.index("196 days") < part.index("12 days") < part.index("by January 2026")

    text_links, html_links = links(received)
    assert "https://tracker.example.org/reports/test-audit/2/" in text_links
    assert set(text_links) == set(html_links)
    for url in text_links:
        assert url.startswith("https://tracker.example.org/")
        assert client.get(urlsplit(url).path).status_code == 200, url
    unsubscribe = received.message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe in text_links
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    log = EmailLog.objects.get()
    assert (log.address, log.kind, log.period_key, log.status) == (
        "one@example.org",
        EmailLog.Kind.DIGEST,
        WEEK,
        EmailLog.Status.SENT,
    )
    assert log.message_id == received.message["Message-ID"]


def test_the_opt_out_link_works_with_one_click_and_stops_the_next_digest(
    world, smtp_server, client
):
    send()
    unsubscribe = smtp_server.messages[0].message["List-Unsubscribe"].strip().strip("<>")
    path = urlsplit(unsubscribe).path

    page = client.get(path)
    assert page.status_code == 200
    assert Contact.objects.get(email="one@example.org").receives_digest  # opening changes nothing

    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert b"no longer receive" in response.content
    assert not Contact.objects.get(email="one@example.org").receives_digest

    send("2026-W04")
    assert len(smtp_server.messages) == 1
    assert client.get("/digest/opt-out/not-a-real-token/").status_code == 404


def test_running_twice_sends_nothing_twice_over_one_connection_per_batch(world, smtp_server):
    ContactFactory(organisation=world["owner"], email="two@example.org")
    ContactFactory(organisation=world["owner"], email="three@example.org")
    first = send()
    second = send()

    assert sorted(m.recipients[0] for m in smtp_server.messages) == [
        "one@example.org",
        "three@example.org",
        "two@example.org",
    ]
    assert smtp_server.inbox.sessions == 1
    assert "3 sent" in first
    assert "0 sent, 3 already done" in second


def between_greeting_and_link(part: str) -> str:
    start = part.index("This is the weekly summary")
    return part[start : part.index("https://tracker.example.org/digest/opt-out/", start)]


def test_contacts_of_one_owner_share_its_lists_rendered_once_with_their_own_name_and_link(
    world, smtp_server
):
    ContactFactory(organisation=world["owner"], name="O'Brien & <Co>", email="two@example.org")
    ContactFactory(organisation=world["quiet"], email="oversight@example.org", is_oversight=True)
    ContactFactory(organisation=world["owner"], email="oversight2@example.org", is_oversight=True)
    rendered = []

    def count(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(count)
    try:
        send()
    finally:
        template_rendered.disconnect(count)

    assert rendered.count("emails/_digest_lists.html") == 1
    assert rendered.count("emails/_digest_lists.txt") == 1
    assert rendered.count("emails/_oversight_lists.html") == 1
    assert rendered.count("emails/_oversight_lists.txt") == 1
    (one,) = smtp_server.inbox.to("one@example.org")
    (two,) = smtp_server.inbox.to("two@example.org")
    assert "Dear O&#x27;Brien &amp; &lt;Co&gt;," in two.html
    assert "Dear O'Brien & <Co>," in two.text
    for received in (one, two):
        unsubscribe = received.message["List-Unsubscribe"].strip().strip("<>")
        assert unsubscribe in received.text
        assert f'href="{unsubscribe}"' in received.html
    assert one.message["List-Unsubscribe"] != two.message["List-Unsubscribe"]
    # Apart from the greeting and the opt-out link, the two e-mails are the same.
    for first, second in ((one.text, two.text), (one.html, two.html)):
        assert between_greeting_and_link(first) == between_greeting_and_link(second)
        assert "196 days overdue" in between_greeting_and_link(first)
    for address in ("oversight@example.org", "oversight2@example.org"):
        (oversight,) = smtp_server.inbox.to(address)
        assert "Overdue (2), most overdue first" in oversight.text
        assert "Overdue (2), most overdue first" in oversight.html


def test_nothing_overdue_sends_nothing_unless_the_contact_asked_for_a_note(world, smtp_server):
    Contact.objects.filter(email="quiet@example.org").update(wants_empty_digest=True)
    ContactFactory(organisation=world["quiet"], email="silent@example.org")
    send()

    assert sorted(m.recipients[0] for m in smtp_server.messages) == [
        "one@example.org",
        "quiet@example.org",
    ]
    (note,) = smtp_server.inbox.to("quiet@example.org")
    assert note.message["Subject"] == f"Example Agency: nothing overdue (week {WEEK})"
    for part in (note.text, note.html):
        assert "nothing that Example Agency owns is overdue" in part


def test_oversight_lists_each_overdue_item_once_worst_first_with_its_owners(world, smtp_server):
    other_owner = OrganisationFactory(name="Another Example Body")
    OwnershipFactory(recommendation=world["late"], organisation=other_owner, role="supporting")
    ContactFactory(organisation=world["quiet"], email="oversight@example.org", is_oversight=True)
    send()

    (digest,) = smtp_server.inbox.to("oversight@example.org")
    assert digest.message["Subject"] == (
        f"Overdue recommendations, all owners (2 overdue, 1 silent, 0 drafts to review) "
        f"(week {WEEK})"
    )
    for part in (digest.text, digest.html):
        overdue = part[part.index("Overdue (2), most overdue first") : part.index("Silent:")]
        # Recommendation 1 has two owners and is listed once, naming both.
        assert overdue.count("Test audit 1: Publish the example plan") == 1
        assert overdue.count("Test audit 2: Set up the example body") == 1
        assert "Owners: Example Department, Another Example Body" in overdue
        assert "Owner: Example Department" in overdue
        # Worst first: 196 days overdue, then 12.
        assert overdue.index("196 days overdue") < overdue.index("12 days overdue")
        assert overdue.index("Test audit 2") < overdue.index("Test audit 1")
        assert "Drafts awaiting review: 0" in part
        silent = part[
            part.index("Silent: overdue with no published update for 90 days") : part.index(
                "Not checked for new developments"
            )
        ]
        # Recommendation 2 has never had an update; 1 had one on 1 December (42 days before).
        assert "Test audit 2: Set up the example body" in silent
        assert "Test audit 1" not in silent
    assert EmailLog.objects.get(address="oversight@example.org").kind == "oversight_digest"
    assert [r.number for r in Recommendation.objects.silent(MONDAY, 90)] == [2]
    assert [r.number for r in Recommendation.objects.silent(MONDAY, 30)] == [2, 1]


def test_oversight_counts_the_drafts_waiting_for_review_and_links_the_queue(
    world, smtp_server, client
):
    owner_contact = ContactFactory(
        organisation=world["owner"], email="owner-login@example.org", user=UserFactory()
    )
    StatusUpdateFactory(recommendation=world["late"], entered_by=owner_contact.user)
    StatusUpdateFactory(recommendation=world["later"], entered_by=owner_contact.user)
    StatusUpdateFactory(recommendation=world["soon"], entered_by=UserFactory())  # an editor's
    StatusUpdateFactory(recommendation=world["soon"], published=True)  # not waiting
    ContactFactory(organisation=world["quiet"], email="oversight@example.org", is_oversight=True)
    send()

    (digest,) = smtp_server.inbox.to("oversight@example.org")
    assert "3 drafts to review" in digest.message["Subject"]
    for part in (digest.text, digest.html):
        assert "Drafts awaiting review: 3" in part
        assert "2 submitted by owners&#x27; contacts" in part or (
            "2 submitted by owners' contacts" in part
        )
    queue = next(url for url in links(digest)[0] if "review=awaiting" in url)
    assert queue == "https://tracker.example.org/admin/tracker/statusupdate/?review=awaiting"
    client.force_login(make_editor())
    page = client.get(urlsplit(queue).path + "?review=awaiting")
    assert page.status_code == 200
    assert "3 status updates" in page.content.decode()


def test_only_drafts_waiting_make_the_oversight_digest_worth_sending(settings, smtp_server):
    settings.SITE_URL = "https://tracker.example.org"
    ContactFactory(email="oversight@example.org", is_oversight=True)
    contact = ContactFactory(user=UserFactory())
    StatusUpdateFactory(entered_by=contact.user)
    send()

    (digest,) = smtp_server.inbox.to("oversight@example.org")
    assert "Drafts awaiting review: 1" in digest.text
    assert "(1 submitted by owners' contacts)" in digest.text


def test_facts_are_as_of_the_day_of_sending_not_the_monday_of_the_week(world, smtp_server):
    """This week's digest sent on a Thursday counts the days overdue to that Thursday."""
    thursday = datetime.datetime(2026, 1, 15, 8, tzinfo=datetime.UTC)
    with time_machine.travel(thursday, tick=False):
        send()

    (received,) = smtp_server.inbox.to("one@example.org")
    for part in (received.text, received.html):
        assert "as of 15 January 2026" in part
        assert "(due 30 June 2025), 199 days overdue" in part
        assert "(due 31 December 2025), 15 days overdue" in part


def test_a_past_week_sent_late_states_the_facts_of_its_scheduled_day(world, smtp_server, settings):
    """A week sent late is as of the day the schedule sends on (here Wednesday), not today."""
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE
    settings.CELERY_BEAT_SCHEDULE = schedule | {
        "send-weekly-digests": schedule["send-weekly-digests"]
        | {"schedule": crontab("0", "8", day_of_week="3")}
    }
    send()

    (received,) = smtp_server.inbox.to("one@example.org")
    assert "as of 14 January 2026" in received.text
    assert "(due 31 December 2025), 14 days overdue" in received.text


def test_smtp_refusing_connections_then_coming_back_delivers_each_email_once(world, smtp_stopped):
    ContactFactory(organisation=world["owner"], email="two@example.org")
    with pytest.raises(CommandError, match="Could not reach the mail server"):
        send()
    assert set(EmailLog.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert "ConnectionRefusedError" in EmailLog.objects.first().last_error

    smtp_stopped.start()
    send()
    send()
    assert sorted(m.recipients[0] for m in smtp_stopped.messages) == [
        "one@example.org",
        "two@example.org",
    ]
    assert set(EmailLog.objects.values_list("status", "attempts")) == {("sent", 2)}


def test_a_permanent_refusal_is_recorded_and_shown_in_the_admin(world, smtp_server, client):
    ContactFactory(organisation=world["owner"], email="refused@example.org")
    smtp_server.inbox.refuse.add("refused@example.org")
    send()
    send()

    assert [m.recipients for m in smtp_server.messages] == [["one@example.org"]]
    failed = EmailLog.objects.get(address="refused@example.org")
    assert failed.status == EmailLog.Status.FAILED
    assert failed.attempts == 1
    assert "550" in failed.last_error

    client.force_login(UserFactory(username="root", is_superuser=True))
    page = client.get("/admin/tracker/emaillog/", {"status__exact": "failed"})
    assert page.status_code == 200
    assert b"refused@example.org" in page.content
    assert b"one@example.org" not in page.content


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the job catches it."""


def test_a_crash_halfway_then_a_rerun_sends_every_email_exactly_once(
    world, smtp_server, monkeypatch
):
    for n in range(2, 6):
        ContactFactory(organisation=world["owner"], email=f"contact{n}@example.org")
    real_send = emails._send_one
    calls = []

    def crash_on_third(connection, item, log_pk):
        calls.append(item.address)
        if len(calls) == 3:
            with transaction.atomic():  # the row is locked and then the process dies
                connection.close()
                raise Crash
        return real_send(connection, item, log_pk)

    monkeypatch.setattr(emails, "_send_one", crash_on_third)
    with pytest.raises(Crash):
        send()
    assert len(smtp_server.messages) == 2
    assert EmailLog.objects.filter(status="pending").count() == 3

    monkeypatch.setattr(emails, "_send_one", real_send)
    send()
    recipients = [m.recipients[0] for m in smtp_server.messages]
    assert len(recipients) == 5
    assert len(set(recipients)) == 5
    assert EmailLog.objects.filter(status="sent").count() == 5


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(world, smtp_server):
    out = StringIO()
    call_command("send_weekly_digests", "--week", WEEK, "--dry-run", stdout=out)
    assert "one@example.org [not sent yet]: Example Department: 2 overdue" in out.getvalue()
    assert "nothing was sent" in out.getvalue()
    assert smtp_server.messages == []
    assert not EmailLog.objects.exists()


def test_a_malformed_week_is_refused_with_a_clear_message(world):
    with pytest.raises(CommandError, match="YYYY-Www"):
        send("January")
    with pytest.raises(CommandError, match="not a week"):
        send("2026-W60")
    assert not EmailLog.objects.exists()


def test_without_email_host_digests_are_written_as_files(world, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    send()
    (written,) = tmp_path.iterdir()
    assert "Test audit 2: Set up the example body" in written.read_text()


def queries_to_plan_and_render() -> int:
    with CaptureQueriesContext(connection) as captured:
        for item in plan_digests(MONDAY):
            item.build()
    return len(captured)


def test_planning_the_digests_takes_the_same_queries_however_many_contacts_and_items(world):
    ContactFactory(organisation=world["owner"], email="oversight@example.org", is_oversight=True)
    few = queries_to_plan_and_render()
    for _ in range(10):
        owner = OrganisationFactory()
        ContactFactory(organisation=owner)
        rec = RecommendationFactory(report=world["late"].report)
        OwnershipFactory(recommendation=rec, organisation=owner)
        DeadlineFactory(recommendation=rec)
        StatusUpdateFactory(recommendation=rec, published=True)
    assert queries_to_plan_and_render() == few


def test_demo_contacts_are_fictional_marked_and_loaded_once(world, settings):
    out = StringIO()
    call_command("load_demo_contacts", stdout=out)
    call_command("load_demo_contacts", stdout=out)
    demo = Contact.objects.filter(is_demo=True).order_by("email")
    assert [c.email for c in demo] == [
        "demo.example-agency@example.org",
        "demo.example-department@example.org",
    ]
    assert {c.name for c in demo} == {"Demo contact (fictional)"}

    call_command("load_demo_contacts", "--remove", stdout=out)
    assert not Contact.objects.filter(is_demo=True).exists()
    settings.EMAIL_HOST = "smtp.example.org"
    call_command("load_demo_contacts", stdout=out)
    assert "no demo contacts were added" in out.getvalue()
    assert not Contact.objects.filter(is_demo=True).exists()


def test_oversight_lists_what_nobody_has_checked_for_check_every_days(world, smtp_server, settings):
    """The tracker is accountable for its own freshness: never checked first, then the oldest."""
    settings.CHECK_EVERY_DAYS = 30
    Check.objects.create(recommendation=world["late"], checked_on=datetime.date(2026, 1, 5))
    Check.objects.create(recommendation=world["later"], checked_on=datetime.date(2025, 11, 1))
    ContactFactory(organisation=world["quiet"], email="oversight@example.org", is_oversight=True)
    send()

    (digest,) = smtp_server.inbox.to("oversight@example.org")
    for part in (digest.text, digest.html):
        unchecked = part[part.index("Not checked for new developments for 30 days or more (2)") :]
        assert "Test audit 1" not in unchecked  # checked a week before the Monday
        assert unchecked.index("Test audit 3: Consult on the example duty") < unchecked.index(
            "Test audit 2: Set up the example body"
        )
        assert "never checked" in unchecked
        assert "last checked 1 November 2025" in unchecked


def test_late_responses_go_to_the_lead_owner_and_to_oversight_with_since_when_and_the_rule(
    world, smtp_server
):
    """What is late, since when, and by which rule: unanswered past the report's date, or left
    under consideration past the promised decision date."""
    unanswered = RecommendationFactory(report=world["late"].report, number=4, title="Fund it")
    OwnershipFactory(recommendation=unanswered, organisation=world["owner"])
    OwnershipFactory(recommendation=unanswered, organisation=world["quiet"], role="supporting")
    undecided = RecommendationFactory(report=world["late"].report, number=5, title="Decide it")
    OwnershipFactory(recommendation=undecided, organisation=world["owner"])
    ResponseFactory(
        recommendation=undecided,
        organisation=world["owner"],
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2024, 1, 10),
        decision_due_on=datetime.date(2025, 9, 30),
    )
    ContactFactory(organisation=world["quiet"], email="oversight@example.org", is_oversight=True)
    send()

    (digest,) = smtp_server.inbox.to("one@example.org")
    assert digest.message["Subject"] == (
        f"Example Department: 2 overdue, 2 responses late, 1 coming due (week {WEEK})"
    )
    for part in (digest.text, html.unescape(digest.html)):
        late = part[part.index("Without a response or decision when due (2)") :]
        # The report came out on 20 October 2022: a response was due 183 days later.
        assert "Test audit 4: Fund it" in late
        assert (
            "Late: no response recorded, although one was due by 21 April 2023 (183 days after "
            "publication, this tracker's default rule). Late since 22 April 2023." in late
        )
        assert (
            "Late: still under consideration; a decision was promised by 30 September 2025. "
            "Late since 1 October 2025." in late
        )
        assert late.index("Fund it") < late.index("Decide it")  # longest late first
        assert "https://tracker.example.org/methodology/#response-clocks" in part
    # The supporting owner's contact is not told: the response is the lead owner's to give.
    assert smtp_server.inbox.to("quiet@example.org") == []
    (oversight,) = smtp_server.inbox.to("oversight@example.org")
    assert "2 responses late" in oversight.message["Subject"]
    for part in (oversight.text, html.unescape(oversight.html)):
        late = part[
            part.index("Without a response or decision when due (2)") : part.index("Silent:")
        ]
        assert "Lead owner: Example Department" in late
        assert "Late since 22 April 2023." in late


def test_a_past_week_sent_late_counts_the_responses_late_on_its_day(world, smtp_server):
    """On 12 January 2026 the decision promised for 31 January 2026 was not yet late."""
    undecided = RecommendationFactory(report=world["late"].report, number=5, title="Decide it")
    OwnershipFactory(recommendation=undecided, organisation=world["owner"])
    ResponseFactory(
        recommendation=undecided,
        organisation=world["owner"],
        kind=ResponseKind.UNDER_CONSIDERATION,
        decision_due_on=datetime.date(2026, 1, 31),
    )
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC), tick=False):
        send()
    (digest,) = smtp_server.inbox.to("one@example.org")
    assert "responses late" not in digest.message["Subject"]
    assert "Decide it" not in digest.text
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC), tick=False):
        send("2026-W10")
    (_, current) = smtp_server.inbox.to("one@example.org")
    assert "1 response late" in current.message["Subject"]
    assert "Late since 1 February 2026." in current.text
