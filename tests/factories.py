"""Factories for the ledger's models. Every fact they make is visibly fictional."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from tracker.admin.roles import EDITORS, OWNER_CONTACTS
from tracker.models import (
    Contact,
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
    Source,
    StatusUpdate,
)


def example_source(url: str, title: str = "", kind: str = Source.Kind.SECONDARY) -> Source:
    """A fictional source at `url` (made once; later calls return it unchanged)."""
    source, created = Source.objects.get_or_create(
        url=url,
        defaults={"title": title or url, "publisher": "Example publisher", "kind": kind},
    )
    if title and not created and source.title != title:
        source.title = title
        source.save(update_fields=["title"])
    return source


def source_from_params():
    """Factories take `source_url` (and `source_title`) and cite the source at that address."""
    return factory.LazyAttribute(
        lambda o: example_source(o.source_url, o.source_title) if o.source_url else None
    )


class SourceFactory(DjangoModelFactory[Source]):
    class Meta:
        model = Source
        django_get_or_create = ("url",)

    url = factory.Sequence(lambda n: f"https://example.org/source-{n}")
    title = factory.Sequence(lambda n: f"Example source {n}")
    publisher = "Example publisher"
    kind = Source.Kind.SECONDARY


class UserFactory(DjangoModelFactory[get_user_model()]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True


class ReportFactory(DjangoModelFactory[Report]):
    class Meta:
        model = Report

    slug = factory.Sequence(lambda n: f"test-inquiry-{n}")
    title = factory.Sequence(lambda n: f"Test inquiry {n}: final report")
    short_name = factory.Sequence(lambda n: f"Test {n}")
    published_on = datetime.date(2022, 10, 20)
    source = factory.LazyAttribute(lambda o: example_source(o.url, o.title) if o.url else None)

    class Params:
        url = "https://example.org/report"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"organisation-{n}")
    name = factory.Sequence(lambda n: f"Example Department {n}")
    kind = Organisation.Kind.DEPARTMENT


class RecommendationFactory(DjangoModelFactory[Recommendation]):
    class Meta:
        model = Recommendation

    report = factory.SubFactory(ReportFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Example recommendation {n}")
    text = "The example body should do an example thing."
    text_kind = Recommendation.TextKind.SUMMARY


class OwnershipFactory(DjangoModelFactory[Ownership]):
    class Meta:
        model = Ownership

    recommendation = factory.SubFactory(RecommendationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Ownership.Role.LEAD


class ResponseFactory(DjangoModelFactory[Response]):
    class Meta:
        model = Response

    recommendation = factory.SubFactory(RecommendationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = ResponseKind.ACCEPTED
    responded_on = datetime.date(2023, 5, 22)
    source = source_from_params()

    class Params:
        source_url = "https://example.org/response"
        source_title = ""


class DeadlineFactory(DjangoModelFactory[Deadline]):
    class Meta:
        model = Deadline

    recommendation = factory.SubFactory(RecommendationFactory)
    commitment = "Publish an example plan"
    stated_as = "by the end of 2025"
    precision = Deadline.Precision.YEAR
    due_date = datetime.date(2025, 12, 31)
    source = source_from_params()

    class Params:
        source_url = "https://example.org/plan"
        source_title = ""


class StatusUpdateFactory(DjangoModelFactory[StatusUpdate]):
    class Meta:
        model = StatusUpdate

    recommendation = factory.SubFactory(RecommendationFactory)
    describes_on = datetime.date(2025, 4, 8)
    status = ImplementationStatus.IN_PROGRESS
    summary = "An example step was taken."
    source = source_from_params()

    class Params:
        source_url = "https://example.org/update"
        source_title = "Example update"
        published = factory.Trait(
            state=StatusUpdate.State.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Demo Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


def make_editor(username: str = "editor"):
    from django.contrib.auth.models import Group

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


def make_contact_user(organisation: Organisation, username: str = "contact"):
    from django.contrib.auth.models import Group

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=OWNER_CONTACTS))
    ContactFactory(organisation=organisation, user=user, email=f"{username}@example.org")
    return user
