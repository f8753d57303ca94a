"""The site search reads a stored tsvector on PostgreSQL, kept up to date by a trigger.

Ranking matches by `ts_rank` over a computed expression re-parsed every matching row's text: a
search matching most of 9,000 recommendations took a second. Each row now keeps its vector in a
`search_vector` column, filled by a BEFORE INSERT OR UPDATE trigger (so every write, bulk ones
included, keeps it right) and indexed with GIN; the expression indexes of 0006 are dropped. A
trigger rather than a generated column, so that later migrations may still alter the columns it
reads. The column is PostgreSQL's alone: it is not in the models' state, and SQLite has none
(the search there matches words in the fields themselves).

Weights: a recommendation's title and plain summary A, its wording B; an update's summary B.
"""

from django.db import migrations

RECOMMENDATION_VECTOR = """
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(NEW.plain_summary, '')), 'A')
    || setweight(to_tsvector('english', coalesce(NEW.text, '')), 'B')
"""
UPDATE_VECTOR = "setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B')"


def trigger_sql(table: str, vector: str, columns: str, index_sql: str) -> str:
    # Every piece is a constant of this file.
    return f"""
ALTER TABLE {table} ADD COLUMN search_vector tsvector;
CREATE FUNCTION {table}_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := {vector};
    RETURN NEW;
END
$$;
CREATE TRIGGER {table}_search_vector BEFORE INSERT OR UPDATE OF {columns} ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_search_vector();
UPDATE {table} SET {columns.split(",")[0].strip()} = {columns.split(",")[0].strip()};
{index_sql}
"""  # noqa: S608


def reverse_sql(table: str, index: str) -> str:
    return f"""
DROP INDEX IF EXISTS {index};
DROP TRIGGER IF EXISTS {table}_search_vector ON {table};
DROP FUNCTION IF EXISTS {table}_search_vector();
ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector;
"""


FORWARD = (
    "DROP INDEX IF EXISTS recommendation_search;\n"
    "DROP INDEX IF EXISTS update_search;\n"
    + trigger_sql(
        "tracker_recommendation",
        RECOMMENDATION_VECTOR,
        "title, plain_summary, text",
        "CREATE INDEX recommendation_search_vector ON tracker_recommendation "
        "USING gin (search_vector);",
    )
    + trigger_sql(
        "tracker_statusupdate",
        UPDATE_VECTOR,
        "summary",
        "CREATE INDEX update_search_vector ON tracker_statusupdate USING gin (search_vector) "
        "WHERE state = 'published';",
    )
)
BACKWARD = reverse_sql("tracker_statusupdate", "update_search_vector") + reverse_sql(
    "tracker_recommendation", "recommendation_search_vector"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0012_constraint_messages_in_plain_words"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
