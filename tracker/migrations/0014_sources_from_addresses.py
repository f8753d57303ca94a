"""Every address a record cited becomes a Source row (one per address), and the record points at
it. The next migration drops the old address and title columns."""

from django.db import migrations

# (model, address field, title field, source field)
CITING = (
    ("report", "url", None, "source"),
    ("recommendation", "text_source_url", None, "text_source"),
    ("response", "source_url", "source_title", "source"),
    ("deadline", "source_url", "source_title", "source"),
    ("statusupdate", "source_url", "source_title", "source"),
)


def addresses_to_sources(apps, schema_editor):
    from tracker.citations import classify

    Source = apps.get_model("tracker", "Source")
    by_url = {source.url: source for source in Source.objects.all()}

    def source_for(url: str, title: str):
        if url not in by_url:
            kind, publisher = classify(url)
            by_url[url] = Source.objects.create(
                url=url, title=(title or url)[:300], publisher=publisher[:200], kind=kind
            )
        elif title and by_url[url].title == url:
            by_url[url].title = title[:300]
            by_url[url].save(update_fields=["title"])
        return by_url[url]

    for model_name, url_field, title_field, source_field in CITING:
        model = apps.get_model("tracker", model_name)
        for record in model._base_manager.exclude(**{url_field: ""}).order_by("pk"):
            url = getattr(record, url_field)
            title = getattr(record, title_field) if title_field else ""
            if model_name == "report":
                title = title or record.title
            source = source_for(url, title)
            if getattr(record, f"{source_field}_id") is None:
                # A queryset update: published updates refuse save(), and this changes no fact.
                model._base_manager.filter(pk=record.pk).update(**{source_field: source})
        # The history rows too, so that each record's history still says what it cited.
        historical = apps.get_model("tracker", f"historical{model_name}")
        rows = historical._base_manager.exclude(**{url_field: ""})
        for url in rows.values_list(url_field, flat=True).distinct():
            title = ""
            if title_field:
                titled = rows.filter(**{url_field: url}).exclude(**{title_field: ""}).first()
                title = getattr(titled, title_field) if titled else ""
            rows.filter(**{url_field: url}, **{f"{source_field}__isnull": True}).update(
                **{source_field: source_for(url, title)}
            )


def sources_to_addresses(apps, schema_editor):
    for model_name, url_field, title_field, source_field in CITING:
        model = apps.get_model("tracker", model_name)
        for record in model._base_manager.filter(**{f"{source_field}__isnull": False}):
            values = {url_field: getattr(record, source_field).url}
            if title_field:
                values[title_field] = getattr(record, source_field).title
            model._base_manager.filter(pk=record.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0013_stored_search_vectors")]

    operations = [migrations.RunPython(addresses_to_sources, sources_to_addresses)]
