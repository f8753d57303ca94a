"""Three accounts of a recommendation's progress, kept side by side and never mixed.

Every published status update says whose account it is (`Account`): the owner's own statement, an
independent assessment (inspectorate, audit office, committee, court, the tracker's editors) or
the view of survivors and the people affected. The headline status follows one rule
(`StatusUpdateQuerySet.in_headline_order`): an independent finding is never hidden by an owner's
later claim. Here: the latest of each account, and whether they disagree ("disputed").

`with_accounts(queryset, day)` annotates, for the accounts given on or before `day` (all of them
when `day` is None), `owner_account_status`, `independent_account_status`,
`affected_account_status` and `is_disputed`: at least two of the three latest accounts give
different statuses. The table, its filters, the API and the figures read these names.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, F, OuterRef, Q, QuerySet, Subquery, Value, When

from tracker.models import Account, ImplementationStatus, Recommendation, StatusUpdate

ACCOUNT_FIELDS = {
    Account.OWNER: "owner_account_status",
    Account.INDEPENDENT: "independent_account_status",
    Account.AFFECTED: "affected_account_status",
}

# How the disagreement sentence names each account's finding.
VERBS = {
    Account.OWNER: "says it is",
    Account.INDEPENDENT: "found it",
    Account.AFFECTED: "say it is",
}
# Who gives the account, when the update does not name them.
DEFAULT_GIVERS = {
    Account.OWNER: "The owner",
    Account.INDEPENDENT: "An independent assessment",
    Account.AFFECTED: "Survivors and people affected",
}


def latest_of_account(account: str, day: datetime.date | None) -> QuerySet[StatusUpdate]:
    updates = StatusUpdate.objects.published().filter(
        recommendation=OuterRef("pk"), organisation__isnull=True, account=account
    )
    if day is not None:
        updates = updates.filter(describes_on__lte=day)
    return updates.order_by("-describes_on", "-published_at", "-pk")


def disputed_condition() -> Q:
    """Two of the three latest accounts exist and give different statuses."""
    owner, independent, affected = ACCOUNT_FIELDS.values()
    condition = Q()
    for first, second in [(owner, independent), (owner, affected), (independent, affected)]:
        condition |= Q(**{f"{first}__isnull": False, f"{second}__isnull": False}) & ~Q(
            **{first: F(second)}
        )
    return condition


def with_accounts(
    queryset: QuerySet[Recommendation],
    day: datetime.date | None = None,
    *,
    disputed_only: bool = False,
) -> QuerySet[Recommendation]:
    """Today's view (`day` None) reads `is_disputed` from the stored `Recommendation.disputed`:
    computed per row, the comparison repeats each account's subquery a dozen times.
    `disputed_only` leaves out today's three account statuses where only `is_disputed` is read
    (a past day computes it from them, so keeps them)."""
    if day is None and disputed_only:
        return queryset.annotate(is_disputed=F("disputed"))
    annotations = {
        field: Subquery(latest_of_account(account, day).values("status")[:1])
        for account, field in ACCOUNT_FIELDS.items()
    }
    if day is None:
        return queryset.annotate(**annotations, is_disputed=F("disputed"))
    return queryset.annotate(**annotations).annotate(is_disputed=computed_disputed())


def computed_disputed() -> Case:
    """Whether the accounts annotated by `with_accounts` disagree, computed from them."""
    return Case(
        When(disputed_condition(), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def disputed_now() -> Subquery:
    """For an UPDATE of recommendations: whether their latest accounts disagree today."""
    annotations = {
        field: Subquery(latest_of_account(account, None).values("status")[:1])
        for account, field in ACCOUNT_FIELDS.items()
    }
    recommendation = (
        Recommendation.objects.filter(pk=OuterRef("pk"))
        .annotate(**annotations)
        .annotate(is_disputed=computed_disputed())
    )
    return Subquery(recommendation.values("is_disputed")[:1], output_field=BooleanField())


# --- On a recommendation's page ------------------------------------------------------------------


@dataclass
class AccountEntry:
    """The latest update of one account, or None where that account has not been given."""

    account: str
    update: StatusUpdate | None

    @property
    def label(self) -> str:
        return Account(self.account).label

    @property
    def giver(self) -> str:
        if self.update is None:
            return DEFAULT_GIVERS[self.account]
        return self.update.account_by or DEFAULT_GIVERS[self.account]


@dataclass
class Accounts:
    entries: list[AccountEntry]
    disagreement: str  # empty when the accounts given agree

    @property
    def any_given(self) -> bool:
        return any(entry.update for entry in self.entries)


def status_words(status: str) -> str:
    return ImplementationStatus(status).label.lower()


def latest_accounts(updates: list[StatusUpdate], owner_name: str | None = None) -> Accounts:
    """The latest whole-recommendation update of each account (`updates` come newest first), and
    the plain sentence saying how they disagree, if they do:
    “The Home Office says it is implemented; HM Inspectorate found it partially implemented.”"""
    latest: dict[str, StatusUpdate] = {}
    for update in updates:
        if update.organisation_id is None and update.account not in latest:
            latest[update.account] = update
    entries = [AccountEntry(account, latest.get(account)) for account in ACCOUNT_FIELDS]
    given = [entry for entry in entries if entry.update is not None]
    disagreement = ""
    if len({entry.update.status for entry in given}) > 1:
        clauses = []
        for entry in given:
            giver = entry.giver
            if entry.account == Account.OWNER and not entry.update.account_by and owner_name:
                giver = owner_name
            clauses.append(
                f"{giver} {VERBS[entry.account]} {status_words(entry.update.status)} "
                f"({entry.update.describes_on.day} {entry.update.describes_on:%B %Y})"
            )
        disagreement = "; ".join(clauses) + "."
    return Accounts(entries=entries, disagreement=disagreement)
