"""Leads for editors: the official feeds the tracker watches, and what they published that may
concern a recommendation.

A lead is a hint for an editor, never a fact: nothing here is shown on a public page, feed, API
or export. An editor turns a lead into a draft status update (with its source) or dismisses it
saying why; either way that counts as a check of the recommendation.

Imported at the bottom of `tracker/models.py`, so that Django finds these models; references to
the core models are by name, so this module never imports `tracker.models` itself.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

HTTP_URL = Q(url__startswith="http://") | Q(url__startswith="https://")


class WatchedFeed(models.Model):
    """An Atom or RSS address the watch job fetches, with what it learnt on its last visits."""

    class SourceKind(models.TextChoices):
        PRIMARY = "primary", "Primary (government, Parliament, legislation, regulator, court)"
        SECONDARY = "secondary", "Secondary (press, charity, law firm, other tracker)"

    url = models.URLField(max_length=500, unique=True, verbose_name="feed address")
    name = models.CharField(max_length=200, help_text="What editors call it, e.g. “Home Office”.")
    publisher = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who publishes what the feed lists; used for the source of an update. "
        "Empty: the feed's own title.",
    )
    default_kind = models.CharField(
        max_length=10,
        choices=SourceKind,
        default=SourceKind.PRIMARY,
        verbose_name="default source kind",
    )
    active = models.BooleanField(default=True, help_text="Untick to stop fetching it.")
    # What the feed's server said last time, for a conditional GET.
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    failure_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Failed fetches in a row."
    )
    last_error = models.TextField(blank=True, editable=False)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="After failures, the job waits until then (backoff).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=HTTP_URL, name="watchedfeed_url_is_http"),
            models.CheckConstraint(
                condition=Q(default_kind__in=["primary", "secondary"]),
                name="watchedfeed_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="watchedfeed_has_name"),
            models.CheckConstraint(
                condition=Q(failure_count=0) | ~Q(last_error=""),
                name="watchedfeed_failure_has_error",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_failing(self) -> bool:
        return self.failure_count > 0

    def is_due(self, now: datetime.datetime) -> bool:
        return self.active and (self.next_attempt_at is None or self.next_attempt_at <= now)


class LeadQuerySet(models.QuerySet["Lead"]):
    def waiting(self) -> LeadQuerySet:
        return self.filter(state=Lead.State.NEW)


class Lead(models.Model):
    """One entry of a watched feed that matched a recommendation's watch terms."""

    class State(models.TextChoices):
        NEW = "new", "New"
        TURNED_INTO_UPDATE = "update", "Turned into an update"
        DISMISSED = "dismissed", "Dismissed"

    class DismissalReason(models.TextChoices):
        NONE = "", "—"
        NOT_RELEVANT = "not_relevant", "Not about these recommendations"
        ALREADY_RECORDED = "already_recorded", "Already recorded"
        NOTHING_NEW = "nothing_new", "Nothing new to record"
        OTHER = "other", "Other (say why)"

    feed = models.ForeignKey(WatchedFeed, on_delete=models.CASCADE, related_name="leads")
    entry_key = models.CharField(
        max_length=500, help_text="The entry's id (guid), or its link where it has none."
    )
    title = models.CharField(max_length=500)
    link = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="As the feed dates the entry; empty where it does not."
    )
    publisher = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="The entry's own summary, as plain text.")
    found_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State, default=State.NEW)
    dismissal_reason = models.CharField(
        max_length=20, choices=DismissalReason, default=DismissalReason.NONE, blank=True
    )
    dismissal_note = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recommendations = models.ManyToManyField(
        "tracker.Recommendation", through="LeadMatch", related_name="leads"
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-found_at", "-pk"]
        indexes = [models.Index(fields=["state", "-found_at"], name="lead_queue")]
        constraints = [
            models.UniqueConstraint(fields=["feed", "entry_key"], name="lead_once_per_entry"),
            models.CheckConstraint(
                condition=Q(state__in=["new", "update", "dismissed"]), name="lead_state_valid"
            ),
            models.CheckConstraint(
                condition=(Q(state="dismissed") & ~Q(dismissal_reason=""))
                | (~Q(state="dismissed") & Q(dismissal_reason="")),
                name="lead_dismissed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(dismissal_reason="other") | ~Q(dismissal_note=""),
                name="lead_other_reason_is_explained",
            ),
            models.CheckConstraint(
                condition=Q(state="new") | Q(reviewed_at__isnull=False),
                name="lead_reviewed_when_not_new",
            ),
            models.CheckConstraint(
                condition=Q(link="")
                | Q(link__startswith="http://")
                | Q(link__startswith="https://"),
                name="lead_link_is_http",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="lead_has_title"),
            models.CheckConstraint(condition=~Q(entry_key=""), name="lead_has_entry_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        """Leads live in the admin only."""
        return reverse("admin:tracker_lead_change", args=[self.pk])


class LeadMatch(models.Model):
    """A recommendation a lead may concern, and why: the watch terms its entry contains."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="matches")
    recommendation = models.ForeignKey(
        "tracker.Recommendation", on_delete=models.CASCADE, related_name="lead_matches"
    )
    matched_terms = models.TextField(help_text="The watch terms found in the entry, one per line.")
    status_update = models.ForeignKey(
        "tracker.StatusUpdate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead_matches",
        help_text="The draft update an editor made from this lead for this recommendation.",
    )

    class Meta:
        ordering = ["lead", "recommendation"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "recommendation"], name="lead_match_once_per_recommendation"
            ),
            models.CheckConstraint(condition=~Q(matched_terms=""), name="lead_match_has_terms"),
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.recommendation_id}"

    @property
    def terms(self) -> list[str]:
        return self.matched_terms.splitlines()
