"""Bringing a loaded record up to a newer report file without losing what an editor entered.

Three values meet for each field: what the file says now, what a file said when the record was
last loaded (kept in `ShippedValues`; for records loaded before that existed, the record's first
history row, written when `load_reports` created it), and what the database holds. A field still
holding the old file's value takes the new one; a field an editor changed keeps the editor's value.
A record an editor created is never touched.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from tracker.models import ShippedValues

LOADED = "Brought up to date from a report file"


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        value = value.pk
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _label(instance: models.Model) -> str:
    return instance._meta.label_lower


def _attname(instance: models.Model, name: str) -> str:
    return instance._meta.get_field(name).attname


def remember(instance: models.Model, values: dict[str, Any]) -> None:
    """Record what the file gave this record (call after creating or merging it)."""
    ShippedValues.objects.update_or_create(
        model=_label(instance),
        object_id=instance.pk,
        defaults={"values": {name: _plain(value) for name, value in values.items()}},
    )


def _baseline(instance: models.Model, names) -> dict[str, Any] | None:
    shipped = ShippedValues.objects.filter(model=_label(instance), object_id=instance.pk).first()
    known = dict(shipped.values) if shipped else {}
    if all(name in known for name in names):
        return known
    history = getattr(instance, "history", None)
    created = (
        history.filter(history_type="+").order_by("history_date", "history_id").first()
        if history is not None
        else None
    )
    if created is None or created.history_user_id is not None:
        return known or None  # made by an editor (or unknown): the file does not own it
    for name in names:
        known.setdefault(name, _plain(getattr(created, _attname(instance, name), None)))
    return known


def made_by_a_file(instance: models.Model) -> bool:
    """Whether a report file created this record (an editor's own records are never touched)."""
    if ShippedValues.objects.filter(model=_label(instance), object_id=instance.pk).exists():
        return True
    history = getattr(instance, "history", None)
    created = (
        history.filter(history_type="+").order_by("history_date", "history_id").first()
        if history is not None
        else None
    )
    return created is not None and created.history_user_id is None


def merge(
    instance: models.Model,
    values: dict[str, Any],
    together: tuple[tuple[str, ...], ...] = (),
) -> list[str]:
    """Set each field the file changed and no editor did; return the names of those changed.

    Fields named in one `together` group change only all at once (a wording and its kind).
    """
    baseline = _baseline(instance, values)
    if baseline is None:
        return []
    grouped = {name for group in together for name in group}
    groups = [tuple(group) for group in together] + [
        (name,) for name in values if name not in grouped
    ]
    changed: list[str] = []
    for group in groups:
        names = [name for name in group if name in values]
        current = {name: _plain(getattr(instance, _attname(instance, name))) for name in names}
        untouched = all(current[name] == baseline.get(name) for name in names)
        differs = any(current[name] != _plain(values[name]) for name in names)
        if untouched and differs:
            for name in names:
                setattr(instance, name, values[name])
            changed += names
    if changed:
        instance._change_reason = LOADED
        instance.save()
    remember(instance, values)
    return changed
