"""Bulk import and export (CSV, XLSX) of recommendations, deadlines and status updates.

Files name things by natural identifiers: a report by its slug, a recommendation by its report's
slug and its number, an organisation by its slug. Deadlines and status updates are rows of a
ledger: an import never rewrites a deadline's promise (a moved date is a new row that supersedes
it) and only ever creates or edits *draft* status updates; published ones are left as they are.

Every export is safe to open in a spreadsheet: a text value starting with = + - @, a tab or a
carriage return gets a leading apostrophe, so it is shown as text and never run as a formula.
An import removes that apostrophe again, so an exported file can be edited and imported back.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from import_export import fields, resources, widgets

from tracker.citations import source_for
from tracker.models import Deadline, Organisation, Recommendation, Report, Source, StatusUpdate

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ISO_DATE = "%Y-%m-%d"


def neutralise_formula(value):
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def restore_neutralised(value):
    """Undo `neutralise_formula` on a value read back from an exported file."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key named by one field; an unknown value is a row error, not a crash."""

    def __init__(self, model, field="pk", *, label: str, **kwargs):
        self.label = label
        super().__init__(model, field=field, **kwargs)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise ValueError(f'there is no {self.label} "{value}"') from None


class RecommendationWidget(widgets.ForeignKeyWidget):
    """A recommendation named by its number, in the report named in the row's "report" column."""

    def __init__(self):
        super().__init__(Recommendation)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        report = (row or {}).get("report") or ""
        try:
            return Recommendation.objects.select_related("report").get(
                report__slug=report, number=int(value)
            )
        except (Recommendation.DoesNotExist, ValueError, TypeError):
            raise ValueError(f'there is no recommendation "{value}" in report "{report}"') from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.number


class SourceWidget(widgets.ForeignKeyWidget):
    """A source named by its address; a new address becomes a new source, titled from the row's
    title column where it has one (kind and publisher are guessed from the address, and an editor
    can correct them in the sources list)."""

    def __init__(self, title_column: str | None = None):
        self.title_column = title_column
        super().__init__(Source, field="url")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        value = str(value).strip()
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValueError(
                f'"{value}" is not a web address starting with http:// or https://'
            ) from None
        title = str((row or {}).get(self.title_column) or "") if self.title_column else ""
        return source_for(value, title.strip())

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.url


def source_field(attribute: str = "source", column: str = "source_url") -> fields.Field:
    title_column = "source_title" if attribute == "source" else None
    return fields.Field(attribute=attribute, column_name=column, widget=SourceWidget(title_column))


class SourceTitleMixin:
    """A read-only `source_title` column, so exports name each source as well as its address."""

    def dehydrate_source_title(self, instance) -> str:
        return instance.source.title if instance.source_id else ""


def date_field(attribute: str, **kwargs) -> fields.Field:
    return fields.Field(
        attribute=attribute,
        column_name=attribute,
        widget=widgets.DateWidget(format=ISO_DATE),
        **kwargs,
    )


def organisation_field() -> fields.Field:
    return fields.Field(
        attribute="organisation",
        column_name="organisation",
        widget=LookupWidget(Organisation, "slug", label="organisation with the slug"),
    )


class SpreadsheetSafeResource(resources.ModelResource):
    """Exports neutralise formulae; imports restore them and check rows with the model's rules."""

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = restore_neutralised(value)
        super().before_import_row(row, **kwargs)

    def get_instance(self, instance_loader, row):
        """An unknown identifier means a new row; the field's own error then says what is wrong."""
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None


class RecommendationResource(SpreadsheetSafeResource):
    report = fields.Field(
        attribute="report",
        column_name="report",
        widget=LookupWidget(Report, "slug", label="report with the slug"),
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    text_source_url = source_field("text_source", "text_source_url")

    class Meta:
        model = Recommendation
        fields = (
            "report",
            "number",
            "title",
            "title_is_official",
            "text_kind",
            "text",
            "text_source_url",
            "text_note",
            "watch_terms",
            "watch_exclude",
            "status",
        )
        export_order = fields
        import_id_fields = ("report", "number")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("report", "text_source")


class LedgerResource(SpreadsheetSafeResource):
    """Shared by deadlines and status updates: the recommendation is named by report + number."""

    report = fields.Field(column_name="report")
    recommendation = fields.Field(
        attribute="recommendation", column_name="recommendation", widget=RecommendationWidget()
    )

    def dehydrate_report(self, instance) -> str:
        return instance.recommendation.report.slug if instance.recommendation_id else ""

    def import_instance(self, instance, row, **kwargs):
        adding = instance._state.adding
        fixed = () if adding or not self.is_fixed(instance) else self.fixed_fields()
        before = {name: getattr(instance, name) for name in fixed}
        super().import_instance(instance, row, **kwargs)
        if adding and instance.pk is not None:
            name = self._meta.model._meta.verbose_name
            raise ValidationError(
                {"id": f"there is no {name} with id {instance.pk}; leave id empty to add a new one"}
            )
        changed = [name for name, value in before.items() if getattr(instance, name) != value]
        if changed:
            raise ValidationError(self.fixed_message(instance, changed))

    def is_fixed(self, instance) -> bool:
        """Whether this saved row's `fixed_fields` must stay as they are."""
        raise NotImplementedError

    def fixed_fields(self) -> tuple[str, ...]:
        raise NotImplementedError

    def fixed_message(self, instance, changed: list[str]) -> str:
        raise NotImplementedError

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("recommendation__report", "organisation", "source")
        )


class DeadlineResource(SourceTitleMixin, LedgerResource):
    """A deadline's promise is fixed once saved; mark it met or withdrawn, or supersede it."""

    # What a deadline promised never changes; a moved date is a new row that supersedes it.
    FIXED_ONCE_SAVED = ("recommendation_id", "commitment", "stated_as", "precision", "due_date")

    organisation = organisation_field()
    due_date = date_field("due_date")
    promised_on = date_field("promised_on")
    met_on = date_field("met_on")
    withdrawn_on = date_field("withdrawn_on")
    source_url = source_field()
    source_title = fields.Field(column_name="source_title", readonly=True)
    supersedes = fields.Field(
        attribute="supersedes_id",
        column_name="supersedes",
        widget=LookupWidget(Deadline, "pk", label="deadline with the id", key_is_id=True),
    )

    class Meta:
        model = Deadline
        fields = (
            "id",
            "report",
            "recommendation",
            "organisation",
            "commitment",
            "stated_as",
            "precision",
            "due_date",
            "promised_on",
            "source_url",
            "source_title",
            "supersedes",
            "met_on",
            "withdrawn_on",
            "change_reason",
        )
        export_order = fields
        import_id_fields = ("id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def is_fixed(self, instance) -> bool:
        return True

    def fixed_fields(self) -> tuple[str, ...]:
        return self.FIXED_ONCE_SAVED

    def fixed_message(self, instance, changed: list[str]) -> str:
        names = ", ".join(name.removesuffix("_id") for name in changed)
        return (
            f"deadline {instance.pk} cannot change its {names}: what was promised is kept as it "
            "was; to move the date, add a new row (empty id) whose supersedes is "
            f"{instance.pk}"
        )


class StatusUpdateResource(SourceTitleMixin, LedgerResource):
    """Imports create or edit drafts only; an editor publishes them in the admin."""

    organisation = organisation_field()
    describes_on = date_field("describes_on")
    corrects = fields.Field(
        attribute="corrects_id",
        column_name="corrects",
        widget=LookupWidget(StatusUpdate, "pk", label="status update with the id", key_is_id=True),
    )
    source_url = source_field()
    source_title = fields.Field(column_name="source_title", readonly=True)
    state = fields.Field(attribute="state", column_name="state", readonly=True)
    published_at = fields.Field(
        attribute="published_at",
        column_name="published_at",
        readonly=True,
        widget=widgets.DateTimeWidget(format="%Y-%m-%dT%H:%M:%S%z"),
    )

    class Meta:
        model = StatusUpdate
        fields = (
            "id",
            "report",
            "recommendation",
            "organisation",
            "describes_on",
            "status",
            "account",
            "summary",
            "reason",
            "reason_detail",
            "source_url",
            "source_title",
            "corrects",
            "state",
            "published_at",
        )
        export_order = fields
        import_id_fields = ("id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def is_fixed(self, instance) -> bool:
        return instance.is_published

    def fixed_fields(self) -> tuple[str, ...]:
        return tuple(
            field.attribute
            for field in self.get_import_fields()
            if field.attribute and not field.readonly
        )

    def fixed_message(self, instance, changed: list[str]) -> str:
        names = ", ".join(name.removesuffix("_id") for name in changed)
        return (
            f"status update {instance.pk} is published and cannot be changed (the file changes "
            f"its {names}); add a new row (empty id) that corrects {instance.pk} instead"
        )

    def before_save_instance(self, instance, row, **kwargs):
        if instance.is_published:
            raise ValidationError("A published status update is never changed by an import.")
        instance.state = StatusUpdate.State.DRAFT
        instance.published_at = None
        instance.published_by = None
        if instance._state.adding:
            instance.entered_by = kwargs.get("user")
        super().before_save_instance(instance, row, **kwargs)
