"""What differs between the store's two databases, each difference in one place.

The repositories write one SQL for both SQLite and PostgreSQL (``?`` placeholders, translated for
PostgreSQL by :mod:`app.store.pg`, parameters always bound). Where the two cannot share a
statement, the repositories ask the :class:`Dialect` of the handle they were given
(:func:`dialect_of`):

- full-text search: SQLite's FTS5 table (``search MATCH ?``, bm25 ``rank``, the
  ``unicode61 remove_diacritics 2`` tokenizer) against PostgreSQL's ``search`` table with a
  ``tsvector`` column under a GIN index. The words PostgreSQL indexes and looks for are cut and
  folded here, in Python, exactly as the SQLite tokenizer does (letters and digits, lower case,
  accents taken off), so that both find the same requests for the same words;
- reading a row to change it: ``SELECT … FOR UPDATE`` on PostgreSQL (:attr:`Dialect.for_update`);
- ``LIMIT``: SQLite takes -1 for "no limit", PostgreSQL NULL;
- ``rowid``: SQLite's implicit row key is a real identity column of PostgreSQL's ``requests``
  and ``search`` tables (same name, same order), so the queries that page by it are shared.

Schema types (BLOB/BYTEA, AUTOINCREMENT/IDENTITY, REAL/DOUBLE PRECISION), upserts and the
schema version (``PRAGMA user_version`` against a ``schema_version`` table) are each backend's
schema module's (:mod:`app.store.db`, :mod:`app.store.pg_schema`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

#: A word as SQLite's unicode61 tokenizer cuts them: a run of letters and digits.
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """``text``'s words as the full-text index keeps them: lower case, accents taken off."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(plain.lower())


@dataclass(frozen=True)
class Dialect:
    name: str
    #: The condition "this ``search`` row matches the bound query".
    match: str
    #: The value of ``LIMIT ?`` that lets every row through.
    no_limit: int | None
    #: After a ``SELECT`` of a row about to be changed: lock it until the transaction ends.
    #: SQLite needs nothing (``BEGIN IMMEDIATE`` already holds the only write lock); on
    #: PostgreSQL (READ COMMITTED) a change decided on the row read must lock it, or two desks
    #: could both pass a compare-and-set on the same version.
    for_update: str

    def fts_query(self, text: str) -> str:
        """What the user typed as a full-text query: every word must match, as a prefix."""
        if self.name == "sqlite":
            found = re.findall(r"\w+", text, flags=re.UNICODE)
            return " ".join(f'"{w}"*' for w in found) if found else '""'
        # Only letters and digits reach the query, so nothing in it is tsquery syntax.
        return " & ".join(f"{w}:*" for w in words(text))

    def rank_order(self, query: str) -> tuple[str, list[Any]]:
        """``ORDER BY`` terms putting the best matches of ``query`` first, and their
        parameters."""
        if self.name == "sqlite":
            return "search.rank", []
        return "ts_rank(search.tsv, to_tsquery('simple', ?)) DESC", [query]


SQLITE = Dialect("sqlite", match="search MATCH ?", no_limit=-1, for_update="")
POSTGRES = Dialect(
    "postgresql",
    match="search.tsv @@ to_tsquery('simple', ?)",
    no_limit=None,
    for_update=" FOR UPDATE",
)


def dialect_of(handle: Any) -> Dialect:
    """The dialect of a store's reader or write handle (SQLite's carry none)."""
    found = getattr(handle, "dialect", SQLITE)
    return found if isinstance(found, Dialect) else SQLITE


def index_words(*texts: str | None) -> str:
    """The distinct words of ``texts``, for PostgreSQL's ``tsvector`` (one of each is enough
    for a match, and keeps a long document far under the ``tsvector`` size limit)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text or ""):
            seen.setdefault(word)
    return " ".join(seen)
