"""Factories for watched feeds and leads. Every feed and entry they make is visibly fictional."""

import datetime

import factory
from factory.django import DjangoModelFactory

from tests.factories import RecommendationFactory
from tracker.models import Lead, LeadMatch, WatchedFeed


class WatchedFeedFactory(DjangoModelFactory[WatchedFeed]):
    class Meta:
        model = WatchedFeed

    url = factory.Sequence(lambda n: f"https://feeds.example.org/feed-{n}.atom")
    name = factory.Sequence(lambda n: f"Example feed {n}")
    publisher = "Example Department"


class LeadFactory(DjangoModelFactory[Lead]):
    class Meta:
        model = Lead

    feed = factory.SubFactory(WatchedFeedFactory)
    entry_key = factory.Sequence(lambda n: f"example-entry-{n}")
    title = factory.Sequence(lambda n: f"Fictional announcement {n}")
    link = factory.Sequence(lambda n: f"https://www.example.org/news/fictional-{n}")
    published_at = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
    publisher = "Example Department"


class LeadMatchFactory(DjangoModelFactory[LeadMatch]):
    class Meta:
        model = LeadMatch

    lead = factory.SubFactory(LeadFactory)
    recommendation = factory.SubFactory(RecommendationFactory)
    matched_terms = "example term"
