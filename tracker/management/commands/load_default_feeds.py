"""Set up the watched feeds for the shipped reports, from fixtures/feeds/watched-feeds.yaml."""

from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.models import WatchedFeed

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "feeds" / "watched-feeds.yaml"


class Command(BaseCommand):
    help = (
        "Add the default official feeds (GOV.UK, legislation.gov.uk) to the watched feeds. "
        "Feeds already there, by address, are left as editors set them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE), help="A YAML list of feeds.")

    def handle(self, *args, file, **options):
        feeds = read_feeds(Path(file))
        added = 0
        for feed in feeds:
            _, created = WatchedFeed.objects.get_or_create(
                url=feed["url"],
                defaults={
                    "name": feed["name"],
                    "publisher": feed.get("publisher", ""),
                    "default_kind": feed.get("kind", WatchedFeed.SourceKind.PRIMARY),
                },
            )
            added += created
        self.stdout.write(
            f"{added} feed(s) added, {len(feeds) - added} already watched. "
            "Run `manage.py watch_sources` to fetch them now."
        )


def read_feeds(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CommandError(f"Cannot read {path}: {error}") from None
    feeds = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(feeds, list):
        raise CommandError(f"{path}: expected a list under `feeds`.")
    problems = []
    for number, feed in enumerate(feeds, start=1):
        if not isinstance(feed, dict) or not feed.get("name") or not feed.get("url"):
            problems.append(f"feed {number}: needs a name and a url")
        elif not str(feed["url"]).startswith(("https://", "http://")):
            problems.append(f"feed {number}: the url must start with https:// or http://")
        elif feed.get("kind", "primary") not in WatchedFeed.SourceKind.values:
            problems.append(f"feed {number}: kind must be primary or secondary")
    if problems:
        raise CommandError(f"{path}: " + "; ".join(problems) + ". Nothing was loaded.")
    return feeds
