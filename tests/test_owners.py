"""The owners table sorts on every column with a visible indicator and drops figures that are
zero for everyone; an owner's page gives its role, its part's status and its open deadlines."""

import re

import pytest
import time_machine

from tests.factories_pages import NOW, build_sample


@pytest.fixture
def sample(db):
    with time_machine.travel(NOW, tick=False):
        yield build_sample()


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def owners_in_order(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/owners/([a-z-]+)/">', response.content.decode())


def headings(response) -> list[str]:
    return re.findall(r'<th scope="col"[^>]*><a href="[^"]*">([^<]+)<', response.content.decode())


def test_every_column_sorts_both_ways(client, sample):
    assert owners_in_order(client.get("/owners/", {"sort": "organisation"})) == [
        "example-lead",
        "example-wales",
    ]
    assert owners_in_order(client.get("/owners/", {"sort": "-organisation"})) == [
        "example-wales",
        "example-lead",
    ]
    assert owners_in_order(client.get("/owners/", {"sort": "-owned"})) == [
        "example-lead",
        "example-wales",
    ]
    assert owners_in_order(client.get("/owners/", {"sort": "owned"})) == [
        "example-wales",
        "example-lead",
    ]
    for key in ["implemented", "overdue", "oldest_overdue_days", "met_on_time", "moved"]:
        for sort in [key, f"-{key}"]:
            response = client.get("/owners/", {"sort": sort})
            assert response.status_code == 200, sort
            assert sorted(owners_in_order(response)) == ["example-lead", "example-wales"]


def test_the_sorted_column_shows_an_indicator_and_links_to_the_reverse(client, sample):
    html = client.get("/owners/", {"sort": "-owned"}).content.decode()

    assert 'aria-sort="descending"><a href="?sort=owned">Owned<span class="sort-indicator" ' in html
    assert "▼" in html
    html = client.get("/owners/", {"sort": "owned"}).content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-owned">Owned' in html
    assert "▲" in html


def test_sort_links_keep_the_date(client, sample):
    html = client.get("/owners/", {"as_of": "2026-01-05"}).content.decode()

    assert 'href="?as_of=2026-01-05&amp;sort=-owned"' in html


def test_figures_that_are_zero_for_everyone_are_not_columns(client, sample):
    response = client.get("/owners/")

    shown = headings(response)
    assert "Owned" in shown
    assert "Deadlines moved" in shown
    assert "Deadlines met late" not in shown
    assert "Not shown, as every owner has none: deadlines met late." in text_of(response)


def test_an_unknown_sort_is_a_400_with_a_message(client, sample):
    response = client.get("/owners/", {"sort": "shoe-size"})

    assert response.status_code == 400
    assert "“shoe-size” is not a column to sort by" in text_of(response)


def test_an_owners_page_gives_its_role_part_status_and_deadlines(client, sample):
    lead = text_of(client.get("/owners/example-lead/"))
    wales = text_of(client.get("/owners/example-wales/"))

    assert "Test 1: Create an example authority Lead, stated" in lead
    assert "Past due with no report of delivery: due 31 December 2025, 327 days ago" in lead
    assert "Overdue:" not in lead
    assert "days overdue" not in lead
    assert "Second 1: Publish an example plan Lead, stated" in lead
    assert "Test 1: Create an example authority Supporting, stated (Wales) Not started" in wales
    assert "described 1 March 2026" in wales
    assert "(set for the whole recommendation)" not in lead
    assert "Get e-mail updates" in lead


def test_owner_pages_keep_a_constant_number_of_queries(
    client, sample, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        assert client.get("/owners/example-lead/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/owners/", {"sort": "-overdue"}).status_code == 200
