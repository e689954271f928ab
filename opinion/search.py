"""Chinese full-text search over items.

Items carry `search_text`: `yishi_text.opinion.segment.index_tokens` — jieba's full-mode tokens plus
single characters, space-joined (the pipeline fills it). The
database then only has to match whole tokens, which both backends do well:

- SQLite: the FTS5 table `opinion_item_fts` (unicode61 over the pre-tokenized text, external content
  keyed by the item id) kept in sync by triggers — see migration 0002_search.
- PostgreSQL: a GIN index on `to_tsvector('simple', search_text)`; the filter below repeats that
  exact expression so the planner uses the index.

A user query is cut with `jieba.cut` (query_tokens) and every token must match (AND). User input is
never spliced into the match syntax: SQLite gets each token as a quoted FTS5 string, PostgreSQL gets
`plainto_tsquery`, which has no operators at all.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

MAX_QUERY_CHARS = 200
MAX_TOKENS = 16
FTS_TABLE = "opinion_item_fts"


def query_tokens(query: str) -> list[str]:
    """The tokens a query must all match (deduplicated, in order, bounded)."""
    from yishi_text.opinion import segment

    text = (query or "").strip()[:MAX_QUERY_CHARS]
    if not text:
        return []
    tokens = [t.strip().lower() for t in segment.query_tokens(text)]
    return list(dict.fromkeys(t for t in tokens if t))[:MAX_TOKENS]


def _fts5_match(tokens: list[str]) -> str:
    # A quoted FTS5 string is a phrase of literal text: operators (AND/OR/NOT/NEAR, *, ^, :, -)
    # inside it mean nothing; a double quote is escaped by doubling it.
    return " ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def search_items(queryset: QuerySet, query: str) -> QuerySet:
    """Items of `queryset` whose segmented text contains every token of `query`.

    An empty query leaves the queryset unchanged; a query with nothing searchable in it (only
    punctuation) matches nothing.
    """
    if not (query or "").strip():
        return queryset
    tokens = query_tokens(query)
    if not tokens:
        return queryset.none()
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        condition = RawSQL(
            "to_tsvector('simple', \"opinion_item\".\"search_text\") @@ plainto_tsquery('simple', %s)",
            (" ".join(tokens),), output_field=BooleanField())
        return queryset.filter(condition)
    if vendor == "sqlite":
        # The table name is a constant; the user's text goes in as a bound parameter.
        return queryset.filter(id__in=RawSQL(  # noqa: S611
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            (_fts5_match(tokens),)))
    # Other backends: a token-wise containment test on the segmented text (slow but correct).
    for token in tokens:
        queryset = queryset.filter(search_text__icontains=token)
    return queryset
