"""Full-text search over items (hand-written; see opinion/search.py).

SQLite: an FTS5 table over `opinion_item.search_text` (external content, rowid = item id) kept in
sync by triggers. PostgreSQL: a GIN expression index on to_tsvector('simple', search_text). Other
backends get nothing (search falls back to LIKE).
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS opinion_item_fts USING fts5("
    "search_text, content='opinion_item', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    # External content: FTS5 must be told the old text to delete its tokens.
    "CREATE TRIGGER IF NOT EXISTS opinion_item_fts_ai AFTER INSERT ON opinion_item BEGIN "
    "INSERT INTO opinion_item_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS opinion_item_fts_ad AFTER DELETE ON opinion_item BEGIN "
    "INSERT INTO opinion_item_fts(opinion_item_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS opinion_item_fts_au AFTER UPDATE OF search_text ON opinion_item BEGIN "
    "INSERT INTO opinion_item_fts(opinion_item_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO opinion_item_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO opinion_item_fts(opinion_item_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS opinion_item_fts_au",
    "DROP TRIGGER IF EXISTS opinion_item_fts_ad",
    "DROP TRIGGER IF EXISTS opinion_item_fts_ai",
    "DROP TABLE IF EXISTS opinion_item_fts",
]
PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS opinion_item_search_gin ON opinion_item "
    "USING gin (to_tsvector('simple', search_text))",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS opinion_item_search_gin"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("opinion", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}),
        ),
    ]
