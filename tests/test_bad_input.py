"""Bad input on public pages gets a 400 that says what is wrong, never a 500."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RecommendationFactory
from tracker.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("0001-01-01", "Choose a date from 1 January 1900 to today."),
        ("1899-12-31", "Choose a date from 1 January 1900 to today."),
        ("9999-12-31", "The date is in the future"),
        ("2026-02-30", "is not a date"),
    ],
)
def test_changes_answers_out_of_range_dates_with_400(client, since, message):
    response = client.get(reverse("changes"), {"since": since})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("name", ["subscription_confirm", "subscription_unsubscribe"])
def test_a_nul_byte_in_a_subscription_link_is_not_found(client, name):
    recommendation = RecommendationFactory()
    subscription = Subscription.objects.create(
        email="reader@example.org", recommendation=recommendation, confirmed_at=timezone.now()
    )
    url = reverse(name, args=[subscription.token]).rstrip("/") + "%00/"
    assert client.get(url).status_code in {400, 404}
    assert client.post(url).status_code in {400, 404}
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None


@pytest.mark.parametrize(
    "url",
    [
        "/recommendations/?q=%00",
        "/changes/?since=2026-01-01%00",
        "/?as_of=%00",
        "/api/recommendations/?q=a%00b",
        "/admin/login/?next=%00",
    ],
)
def test_a_nul_byte_anywhere_in_the_query_is_a_400_that_says_so(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL byte" in response.content.decode()
