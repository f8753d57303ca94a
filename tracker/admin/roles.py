"""The two groups of people who log in: editors, and owners' contacts."""

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
OWNER_CONTACTS = "Owner contacts"

# Editors do all the data entry. They never delete the ledger's facts: published updates are
# append-only (the model refuses), deadlines are superseded, not deleted.
EDITOR_PERMISSIONS = {
    "report": ["view", "add", "change", "publish"],
    "organisation": ["view", "add", "change"],
    "contact": ["view", "add", "change", "delete"],
    "recommendation": ["view", "add", "change"],
    "ownership": ["view", "add", "change", "delete"],
    "response": ["view", "add", "change", "delete"],
    "deadline": ["view", "add", "change"],
    "statusupdate": ["view", "add", "change", "delete", "publish"],
    "recommendationlink": ["view", "add", "change", "delete"],
    "source": ["view", "add", "change"],
    "check": ["view", "add", "change"],
    # What the jobs record: e-mails sent or failed, subscriptions, overdue periods.
    "emaillog": ["view"],
    "subscription": ["view", "delete"],
    "overdueperiod": ["view"],
    # Leads from watched feeds: editors set up the feeds and review (never delete) the leads.
    "watchedfeed": ["view", "add", "change", "delete"],
    "lead": ["view", "change"],
}

# Contacts see only what their organisation owns (the admin filters every list) and draft updates.
CONTACT_PERMISSIONS = {
    "recommendation": ["view"],
    "statusupdate": ["view", "add", "change", "delete"],
    # To cite a source in a draft: choose a listed one, or add one.
    "source": ["view", "add"],
}


def permissions_for(spec: dict[str, list[str]]) -> list[Permission]:
    codenames = [f"{action}_{model}" for model, actions in spec.items() for action in actions]
    return list(
        Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
    )


def ensure_role_groups(**kwargs) -> None:
    """Create or correct both groups so that they hold exactly the permissions above."""
    for name, spec in ((EDITORS, EDITOR_PERMISSIONS), (OWNER_CONTACTS, CONTACT_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for(spec))


def is_editor(user) -> bool:
    """Editors hold the permission to change recommendations (superusers hold every permission)."""
    return user.has_perm("tracker.change_recommendation")


def contact_organisation_id(user) -> int | None:
    """The organisation of a logged-in owner's contact, or None for anyone else."""
    contact = getattr(user, "contact", None)
    return contact.organisation_id if contact is not None else None
