"""Move every record, with its history, from one database to a fresh one (export_all, import_all).

The file is JSON lines: a header naming the format and the migrations the data was written under,
then one record per line in Django's serializer format (primary keys kept, so history rows, e-mail
log entries and corrections still point at what they pointed at), then a footer with the count of
each kind of record, which makes a cut-off file detectable. A name ending in ``.gz`` is gzipped.

What moves: every model of the tracker app (including the django-simple-history tables, overdue
periods, snapshots, the e-mail log and subscriptions), the users who log in or are named in the
history, the groups (matched by name, as ``migrate`` creates them) and the admin's change log.
What does not: sessions, login-lockout records and two-factor devices (staff add theirs again).
The file holds personal data (contacts' and subscribers' addresses) and password hashes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from collections.abc import Iterator
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

from tracker.models import DataVersion

FORMAT = "recommendation-tracker-export"
FORMAT_VERSION = 1
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


def database_is_empty(using: str = "default") -> bool:
    """True when no tracker record and no user exists (groups made by `migrate` do not count)."""
    return not any(
        model._base_manager.using(using).exists()
        for model in exported_models()
        if model is not Group
    )


def import_all(path: Path, *, force: bool = False, using: str = "default") -> Counter:
    """Load a file written by export_all in one transaction. Returns the counts loaded.

    Refuses a database that already holds records unless `force`, which first deletes every
    record of the kinds exported (in the same transaction). Records are saved raw, as loaddata
    does: no signals, no new history rows, and published updates written as they are.
    """
    if not path.exists():
        raise PortabilityError(f"{path}: no such file.")
    connection = connections[using]
    try:
        with (
            open_file(path, "r", gzipped=path.suffix == ".gz") as stream,
            transaction.atomic(using=using),
        ):
            _check_header(stream, path, using)
            if not database_is_empty(using):
                if not force:
                    raise PortabilityError(
                        "The database already holds records. Import into a freshly migrated "
                        "database, or give --force to delete them first and replace them."
                    )
                _delete_everything(using)
            with connection.constraint_checks_disabled():
                counts, footer = _load_records(stream, path, using)
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
            _reset_sequences(using)
    except (DatabaseError, ValidationError, ObjectDoesNotExist) as error:
        raise PortabilityError(f"The database refused the file's records: {error}") from None
    except (UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as error:
        raise PortabilityError(f"{path} cannot be read: {error}") from None
    return counts


def _check_header(stream: io.TextIOBase, path: Path, using: str) -> None:
    first = stream.readline()
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PortabilityError(f"{path} is not a file written by export_all.")
    if header.get("version") != FORMAT_VERSION:
        raise PortabilityError(
            f"{path} is in format version {header.get('version')!r}; this version of the tracker "
            f"reads version {FORMAT_VERSION}."
        )
    here = applied_migrations(using)
    if header.get("migrations") != here:
        differences = [
            f"{app}: file {(header.get('migrations') or {}).get(app, [])[-1:] or 'none'}, "
            f"database {here[app][-1:] or 'none'}"
            for app in SCHEMA_APPS
            if (header.get("migrations") or {}).get(app) != here[app]
        ]
        raise PortabilityError(
            "The file was exported from a database at other migrations ("
            + "; ".join(differences)
            + "). Import it with the same version of the tracker, after `migrate`."
        )


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


def _load_records(stream, path: Path, using: str) -> tuple[Counter, dict | None]:
    counts: Counter = Counter()
    footer: list[dict] = []
    for number, record in _records(stream, path, footer):
        try:
            for deserialized in serializers.deserialize(
                "python", [record], using=using, ignorenonexistent=False
            ):
                deserialized.save(using=using)
        except (
            DeserializationError,
            DatabaseError,
            FieldDoesNotExist,
            ValidationError,
            ObjectDoesNotExist,
        ) as error:
            raise PortabilityError(f"{path}, line {number}: {error}") from None
        counts[record["model"]] += 1
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
