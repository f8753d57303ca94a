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
    StatusUpdate,
)


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
    source_url = "https://example.org/response"


class DeadlineFactory(DjangoModelFactory[Deadline]):
    class Meta:
        model = Deadline

    recommendation = factory.SubFactory(RecommendationFactory)
    commitment = "Publish an example plan"
    stated_as = "by the end of 2025"
    precision = Deadline.Precision.YEAR
    due_date = datetime.date(2025, 12, 31)
    source_url = "https://example.org/plan"


class StatusUpdateFactory(DjangoModelFactory[StatusUpdate]):
    class Meta:
        model = StatusUpdate

    recommendation = factory.SubFactory(RecommendationFactory)
    describes_on = datetime.date(2025, 4, 8)
    status = ImplementationStatus.IN_PROGRESS
    summary = "An example step was taken."
    source_url = "https://example.org/update"
    source_title = "Example update"

    class Params:
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
