"""The site search's GIN indexes leave the models' state; on PostgreSQL they stay in place.

Migration 0006 made them on PostgreSQL and only recorded them on SQLite. Recorded in the state,
they are re-made whenever SQLite rebuilds a table to alter it, which SQLite cannot do. From here
they are PostgreSQL-only objects (tracker.models.SEARCH_INDEXES): kept by this migration, made
afresh by 0006 on a new database.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0008_headline_account"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="recommendation", name="recommendation_search"),
                migrations.RemoveIndex(model_name="statusupdate", name="update_search"),
            ],
            database_operations=[],
        ),
    ]
