"""Move every record, with its history, from one database to a fresh one (export_all, import_all).

The file is JSON lines: a header naming the format and the migrations the data was written under,
then one record per line in Django's serializer format (primary keys kept, so history rows, e-mail
log entries and corrections still point at what they pointed at), then a footer with the count of
each kind of record, which makes a cut-off file detectable. A name ending in ``.gz`` is gzipped.

What moves: every model of the tracker app (sources, checks, links between recommendations, the
django-simple-history tables, overdue periods, snapshots, the e-mail log and subscriptions), the
users who log in or are named in the history, the groups (matched by name, as ``migrate`` creates
them) and the admin's change log. What does not: sessions, login-lockout records and two-factor
devices (staff add theirs again). The file is a backup for operators, not open data: it holds
editors' notes, personal data (contacts' and subscribers' addresses) and password hashes.

Format versions. Version 2 (from December 2026): every cited document is a ``tracker.source``
record and the records that cite it point at it. Version 1 files were written before that, and
those exported before migration 0015 carry each cited address (and title) on the citing record
instead: reading one makes one source per address, as migration 0014 does for a database. A file
written at older migrations than the database's is read too: the fields added since take their
defaults and each recommendation's headline status is recomputed from its ledger. A migration that
removes or moves data must add its conversion here (`CITED_ADDRESSES` is the one so far); until
then a record with a field this version does not know is refused, never silently dropped.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tracker.citations import classify
from tracker.models import DataVersion, Recommendation, Source
from tracker.updates import refresh_headline_statuses

FORMAT = "recommendation-tracker-export"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# The apps whose migrations decide the shape of the exported rows.
SCHEMA_APPS = ("admin", "auth", "contenttypes", "tracker")


class PortabilityError(Exception):
    """The file cannot be imported (or the database refuses it); nothing was written."""


def exported_models() -> list[type[models.Model]]:
    """Every model that is moved, in an order in which natural keys resolve when loading."""
    tracker_models = [
        model
        for model in apps.get_app_config("tracker").get_models()
        # The page cache's data version is bookkeeping, not data: each database keeps its own.
        if model._meta.managed and not model._meta.proxy and model is not DataVersion
    ]
    return [Group, get_user_model(), *tracker_models, LogEntry]


def uses_natural_keys(model: type[models.Model]) -> bool:
    """Groups, users and the admin log point at permissions and content types, whose primary keys
    differ between databases, so they refer to them by natural key. Everything else keeps its
    primary keys."""
    return model in (Group, get_user_model(), LogEntry)


def applied_migrations(using: str) -> dict[str, list[str]]:
    applied = MigrationRecorder(connections[using]).applied_migrations()
    return {
        app: sorted(name for app_label, name in applied if app_label == app) for app in SCHEMA_APPS
    }


def open_file(path: Path, mode: str, *, gzipped: bool):
    if gzipped:
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


# --- Export --------------------------------------------------------------------------------------


def export_all(path: Path, using: str = "default") -> Counter:
    """Write every record to `path` (replaced whole only once complete). Returns counts by label."""
    connection = connections[using]
    partial = path.with_name(path.name + ".partial")
    counts: Counter = Counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One consistent view of the whole database, however long the export takes.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": timezone.now().isoformat(),
            "migrations": applied_migrations(using),
        }
        try:
            with open_file(partial, "w", gzipped=path.suffix == ".gz") as stream:
                stream.write(json.dumps(header) + "\n")
                for model in exported_models():
                    natural = uses_natural_keys(model)
                    rows = model._base_manager.using(using).order_by("pk").iterator(2000)
                    for obj in rows:
                        (record,) = serializers.serialize(
                            "python",
                            [obj],
                            use_natural_foreign_keys=natural,
                            use_natural_primary_keys=model is Group,
                        )
                        line = json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False)
                        stream.write(line + "\n")
                        counts[model._meta.label_lower] += 1
                stream.write(json.dumps({"end": True, "counts": dict(counts)}) + "\n")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return counts


# --- Import --------------------------------------------------------------------------------------

# Until migration 0015 a record carried the address (and title) of the document it cited instead of
# pointing at a Source: the kind of record -> (address field, title field or None, source field).
# The history rows of each kind carried the same fields.
CITED_ADDRESSES = {
    "report": ("url", None, "source"),
    "recommendation": ("text_source_url", None, "text_source"),
    "response": ("source_url", "source_title", "source"),
    "deadline": ("source_url", "source_title", "source"),
    "statusupdate": ("source_url", "source_title", "source"),
}


def cited_address_fields(label: str) -> tuple[str, str | None, str] | None:
    app, _, name = label.partition(".")
    if app != "tracker":
        return None
    return CITED_ADDRESSES.get(name.removeprefix("historical"))


@dataclass
class Imported:
    """What import_all loaded: counts by label, the file's version and what was converted."""

    counts: Counter
    version: int
    notes: list[str] = field(default_factory=list)


@dataclass
class Reading:
    """How one file is read: its version, whether it predates the database's migrations, and
    the sources made from the addresses an older file's records cited."""

    path: Path
    version: int
    missing_migrations: list[str]
    file_sources: dict[str, int] = field(default_factory=dict)  # address -> pk in the file
    next_source_pk: int = 1
    new_sources: dict[str, Source] = field(default_factory=dict)

    @property
    def older(self) -> bool:
        return bool(self.missing_migrations)

    def source_pk(self, url: str, title: str) -> int:
        """The source for an address: the file's own record for it, or a new one (as migration
        0014 made them: the title given, or the address; publisher and kind from the address)."""
        if url in self.file_sources:
            return self.file_sources[url]
        source = self.new_sources.get(url)
        if source is None:
            kind, publisher = classify(url)
            now = timezone.now()
            source = Source(
                pk=self.next_source_pk,
                url=url,
                title=(title or url)[:300],
                publisher=publisher[:200],
                kind=kind,
                created_at=now,
                updated_at=now,
            )
            self.next_source_pk += 1
            self.new_sources[url] = source
        elif title and source.title == url:
            source.title = title[:300]
        return source.pk

    def upgrade(self, record: dict) -> None:
        """Rewrite a record of an older file as the current models hold it."""
        spec = cited_address_fields(record["model"])
        fields = record.get("fields")
        if spec is None or not isinstance(fields, dict):
            return
        address_field, title_field, source_field = spec
        if address_field not in fields:
            return
        url = fields.pop(address_field) or ""
        title = (fields.pop(title_field, "") if title_field else "") or ""
        if record["model"].endswith("report"):
            title = title or fields.get("title") or ""
        if url and fields.get(source_field) is None:
            fields[source_field] = self.source_pk(url, title)

    def scan_sources(self, stream: io.TextIOBase) -> None:
        """First pass over an older file: the sources it holds, so that a source made from an
        address reuses the file's record for it, or takes a key none of the file's uses."""
        highest = 0
        for line in stream:
            if '"tracker.source"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue  # reported, with its line number, by the pass that loads
            if isinstance(record, dict) and record.get("model") == "tracker.source":
                fields = record.get("fields") or {}
                if isinstance(record.get("pk"), int):
                    highest = max(highest, record["pk"])
                    if isinstance(fields, dict) and fields.get("url"):
                        self.file_sources[fields["url"]] = record["pk"]
        self.next_source_pk = highest + 1


def database_is_empty(using: str = "default") -> bool:
    """True when no tracker record and no user exists (groups made by `migrate` do not count)."""
    return not any(
        model._base_manager.using(using).exists()
        for model in exported_models()
        if model is not Group
    )


def import_all(path: Path, *, force: bool = False, using: str = "default") -> Imported:
    """Load a file written by export_all in one transaction. Returns what was loaded.

    Refuses a database that already holds records unless `force`, which first deletes every
    record of the kinds exported (in the same transaction). Records are saved raw, as loaddata
    does: no signals, no new history rows, and published updates written as they are. Files of
    format version 1, and files written at older migrations, are converted as they are read (see
    the module's docstring).
    """
    if not path.exists():
        raise PortabilityError(f"{path}: no such file.")
    connection = connections[using]
    gzipped = path.suffix == ".gz"
    try:
        with open_file(path, "r", gzipped=gzipped) as stream, transaction.atomic(using=using):
            reading = _check_header(stream, path, using)
            if reading.older:
                with open_file(path, "r", gzipped=gzipped) as first_pass:
                    first_pass.readline()
                    reading.scan_sources(first_pass)
            if not database_is_empty(using):
                if not force:
                    raise PortabilityError(
                        "The database already holds records. Import into a freshly migrated "
                        "database, or give --force to delete them first and replace them."
                    )
                _delete_everything(using)
            with connection.constraint_checks_disabled():
                counts, footer = _load_records(stream, reading, using)
                for source in reading.new_sources.values():
                    source.save_base(raw=True, using=using)
            if footer is None:
                raise PortabilityError(f"{path} is incomplete: its last line is missing.")
            table_names = [model._meta.db_table for model in exported_models()]
            connection.check_constraints(table_names=table_names)
            expected = Counter(footer.get("counts", {}))
            if counts != expected:
                raise PortabilityError(
                    f"{path} does not hold what its last line promises "
                    f"(expected {dict(expected)}, found {dict(counts)})."
                )
            if reading.older:
                refresh_headline_statuses(Recommendation._base_manager.using(using).all())
            _reset_sequences(using)
    except (DatabaseError, ValidationError, ObjectDoesNotExist) as error:
        raise PortabilityError(f"The database refused the file's records: {error}") from None
    except (UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as error:
        raise PortabilityError(f"{path} cannot be read: {error}") from None
    return _imported(counts, reading)


def _imported(counts: Counter, reading: Reading) -> Imported:
    notes = []
    if reading.version < FORMAT_VERSION:
        notes.append(f"The file is in format version {reading.version}; it was converted.")
    if reading.new_sources:
        notes.append(
            f"{len(reading.new_sources)} sources were made from the addresses the file's records "
            "cited (the file was written before sources were records)."
        )
        counts["tracker.source"] += len(reading.new_sources)
    if reading.older:
        notes.append(
            "The file was written before migrations "
            + ", ".join(reading.missing_migrations)
            + ": the fields added since took their defaults, and each recommendation's headline "
            "status was recomputed from its ledger."
        )
    return Imported(counts=counts, version=reading.version, notes=notes)


def _check_header(stream: io.TextIOBase, path: Path, using: str) -> Reading:
    first = stream.readline()
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PortabilityError(f"{path} is not a file written by export_all.")
    version = header.get("version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise PortabilityError(
            f"{path} is in format version {version!r}; this version of the tracker reads "
            f"versions {', '.join(str(v) for v in READABLE_VERSIONS)}. A newer file needs the "
            "newer tracker that wrote it."
        )
    theirs = header.get("migrations")
    if not isinstance(theirs, dict) or not all(
        isinstance(names, list) and all(isinstance(name, str) for name in names)
        for names in theirs.values()
    ):
        raise PortabilityError(f"{path}: its first line does not say which migrations it follows.")
    here = applied_migrations(using)
    newer = [
        f"{app} {name}"
        for app in SCHEMA_APPS
        for name in theirs.get(app, [])
        if name not in here[app]
    ]
    if newer:
        raise PortabilityError(
            "The file was exported from a database at migrations this one has not applied ("
            + ", ".join(newer)
            + "). Run `migrate` with the version of the tracker that wrote it, then import."
        )
    missing = [
        f"{app} {name}"
        for app in SCHEMA_APPS
        for name in here[app]
        if name not in theirs.get(app, [])
    ]
    return Reading(path=path, version=version, missing_migrations=missing)


def _records(stream: io.TextIOBase, path: Path, footer: list) -> Iterator[tuple[int, dict]]:
    allowed = {model._meta.label_lower for model in exported_models()}
    for number, line in enumerate(stream, start=2):
        if not line.strip():
            continue
        if footer:
            raise PortabilityError(f"{path}, line {number}: records after the last line.")
        try:
            record = json.loads(line)
        except ValueError:
            raise PortabilityError(f"{path}, line {number}: not valid JSON.") from None
        if not isinstance(record, dict):
            raise PortabilityError(f"{path}, line {number}: not a record.")
        if record.get("end") is True:
            footer.append(record)
            continue
        if record.get("model") not in allowed:
            raise PortabilityError(
                f"{path}, line {number}: unknown kind of record {record.get('model')!r}."
            )
        yield number, record


def _load_records(stream, reading: Reading, using: str) -> tuple[Counter, dict | None]:
    counts: Counter = Counter()
    footer: list[dict] = []
    path = reading.path
    for number, record in _records(stream, path, footer):
        label = record["model"]
        if reading.older:
            reading.upgrade(record)
        try:
            for deserialized in serializers.deserialize(
                "python", [record], using=using, ignorenonexistent=False
            ):
                deserialized.save(using=using)
        except FieldDoesNotExist as error:
            raise PortabilityError(
                f"{path}, line {number}: {error}; this version of the tracker cannot convert it."
            ) from None
        except (DeserializationError, DatabaseError, ValidationError, ObjectDoesNotExist) as error:
            raise PortabilityError(f"{path}, line {number}: {error}") from None
        counts[label] += 1
    return counts, (footer[0] if footer else None)


def _delete_everything(using: str) -> None:
    """Delete every exported record except the groups (matched by name when loading). The tracker's
    rows go by raw deletes: no signals, no history rows, and the ledger's guard against deleting
    published updates is not consulted, because the whole ledger is replaced from the file within
    this one transaction."""
    for model in exported_models():
        if model._meta.app_label == "tracker":
            model._base_manager.using(using).all()._raw_delete(using)
    # Through the ORM, so that whatever else points at a user (two-factor devices) goes too.
    LogEntry.objects.using(using).all().delete()
    get_user_model()._base_manager.using(using).all().delete()


def _reset_sequences(using: str) -> None:
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), exported_models())
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
