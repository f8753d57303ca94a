"""Embeddable SVG badges for a report and a recommendation."""

import xml.etree.ElementTree as ET

import pytest
import time_machine

from tests.factories import RecommendationFactory, ReportFactory, StatusUpdateFactory
from tests.factories_open_data import NOW, build_open_data
from tracker.models import ImplementationStatus
from tracker.public.badges import LABEL_COLOURS, PROGRESS_COLOURS, STATUS_COLOURS
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def parse_svg(response) -> ET.Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    svg = ET.fromstring(response.content)  # noqa: S314 - our own output, in a test
    assert svg.tag == f"{SVG}svg"
    for element in svg.iter():
        assert element.tag.removeprefix(SVG) != "script"
        assert not any(name.lower().startswith("on") for name in element.attrib)
        assert "javascript:" not in "".join(element.attrib.values()).lower()
    return svg


def texts(svg: ET.Element) -> list[str]:
    return [element.text for element in svg.iter(f"{SVG}text")]


def test_recommendation_badge_shows_status_and_as_of_date(client):
    recommendation = RecommendationFactory(report=ReportFactory(slug="iicsa", short_name="IICSA"))
    publish_update(StatusUpdateFactory(recommendation=recommendation))

    response = client.get(f"/reports/iicsa/{recommendation.number}/badge.svg")
    svg = parse_svg(response)

    label = f"IICSA {recommendation.number}"
    assert texts(svg) == [label, "In progress · 8 Apr 2025"]
    assert svg.find(f"{SVG}title").text == f"{label}: In progress · 8 Apr 2025"
    assert svg.get("role") == "img"
    assert response["X-Data-As-Of"] == "2026-11-23"
    fills = [rect.get("fill") for rect in svg.iter(f"{SVG}rect")]
    assert fills == [
        LABEL_COLOURS.background,
        STATUS_COLOURS[ImplementationStatus.IN_PROGRESS].background,
    ]


def test_report_badge_gives_the_status_breakdown(client):
    report = ReportFactory(slug="iicsa", short_name="IICSA")
    done = RecommendationFactory(report=report)
    RecommendationFactory(report=report)
    RecommendationFactory(report=report)
    publish_update(
        StatusUpdateFactory(recommendation=done, status=ImplementationStatus.IMPLEMENTED)
    )

    svg = parse_svg(client.get("/reports/iicsa/badge.svg"))

    assert texts(svg) == ["IICSA", "1 implemented, 2 not yet assessed · latest status 8 Apr 2025"]


def test_drafts_do_not_change_a_badge(client):
    recommendation = RecommendationFactory(report=ReportFactory(slug="iicsa", short_name="IICSA"))
    StatusUpdateFactory(recommendation=recommendation, status=ImplementationStatus.IMPLEMENTED)

    svg = parse_svg(client.get(f"/reports/iicsa/{recommendation.number}/badge.svg"))

    assert texts(svg)[1] == "Not yet assessed · no update yet"


def test_text_is_escaped(client):
    report = ReportFactory(slug="odd", short_name="A & B <inquiry>")
    RecommendationFactory(report=report, number=1)

    svg = parse_svg(client.get("/reports/odd/1/badge.svg"))

    assert texts(svg)[0] == "A & B <inquiry> 1"


def test_unknown_badges_are_not_found_and_queries_refused(client):
    RecommendationFactory(report=ReportFactory(slug="iicsa"), number=1)
    assert client.get("/reports/iicsa/2/badge.svg").status_code == 404
    assert client.get("/reports/missing/badge.svg").status_code == 404
    assert client.get("/reports/iicsa/badge.svg?style=flat").status_code == 400


def relative_luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, two: str) -> float:
    lighter, darker = sorted([relative_luminance(one), relative_luminance(two)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_text_colour_meets_wcag_aa_contrast():
    pairs = [LABEL_COLOURS, PROGRESS_COLOURS, *STATUS_COLOURS.values()]
    assert set(STATUS_COLOURS) == set(ImplementationStatus)
    for colours in pairs:
        assert contrast(colours.background, colours.text) >= 4.5, colours


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_badges_issue_a_bounded_number_of_queries(client, django_assert_max_num_queries, count):
    build_open_data(count)

    for url in ["/reports/example-inquiry/badge.svg", "/reports/example-inquiry/7/badge.svg"]:
        with django_assert_max_num_queries(1):
            response = client.get(url)

        parse_svg(response)


HOSTILE = 'Qb "><script>alert(1)</script><img src=x onerror="alert(2)'


class SnippetParser(__import__("html.parser").parser.HTMLParser):
    """The tags a site that pastes the snippet would get."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def pasted_snippet(page_html: str) -> list[tuple[str, dict]]:
    import html
    import re

    textarea = re.search(r'<textarea id="badge-code"[^>]*>(.*?)</textarea>', page_html, re.S)
    assert textarea is not None
    copied = html.unescape(textarea.group(1))  # what a reader selects and copies
    parser = SnippetParser()
    parser.feed(copied)
    return parser.tags


def assert_snippet_is_inert(page_html: str) -> None:
    tags = pasted_snippet(page_html)
    assert [tag for tag, _ in tags] == ["a", "img"]
    image = tags[1][1]
    assert set(image) == {"src", "alt"}
    assert HOSTILE in image["alt"]


def test_the_code_to_copy_keeps_a_hostile_title_inside_alt(client, tmp_path):
    from django.core.management import call_command

    report = ReportFactory(slug="qb-inquiry", short_name=HOSTILE)
    RecommendationFactory(report=report, number=1)
    for url in ("/reports/qb-inquiry/", "/reports/qb-inquiry/1/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_snippet_is_inert(response.content.decode())

    site = tmp_path / "site"
    call_command("build_site", "--out", str(site), stdout=__import__("io").StringIO())
    for page in ("reports/qb-inquiry/index.html", "reports/qb-inquiry/1/index.html"):
        assert_snippet_is_inert((site / page).read_text())
