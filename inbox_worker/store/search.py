"""Full-text search over tickets: one search document per ticket, kept right by database triggers.

What a ticket's document holds, in three weights: its subject (heaviest); the people and things it is
about (sender and contact address, the contact's name, the linked devices' tag, name, hostname, serial and
model); and the text of its thread (every entry but the events: inbound and outbound mail, notes, phone
calls; each entry's subject and its first ENTRY_CHARS characters, newest entries first, at most
TICKET_CHARS in all, so a huge mail can neither overflow a tsvector nor stall a write).

- PostgreSQL: table `ticket_search` (ticket_id, document tsvector) with a GIN index; the document is
  setweight(to_tsvector('danish', ...)) of the three parts (A, B, D), ranked by ts_rank.
- SQLite: FTS5 table `ticket_search` (rowid = ticket id; title, people, body) with the unicode61 tokenizer
  (case folding for every letter, æ/ø/å kept as letters). SQLite has no Danish stemmer, so the text is
  stemmed in Python (PyStemmer, Snowball's Danish, the algorithm PostgreSQL uses) by the SQL function
  `search_stems`, which `register` adds to every connection store/db.py makes; queries are stemmed the
  same way (`words`). Ranked by bm25 with the subject weighing most.

Why triggers, not a module every writer calls: the index is right whatever writes the rows (the pipeline,
notes, replies, merges moving entries, phone tickets, registry import, the web UI's contact forms, and the
deletions of issue 16) without any of them knowing it exists; code written later cannot forget it. Triggers
on tickets, ticket_entries, contacts, devices and ticket_devices rebuild the document of every ticket a
changed row belongs to (before and after, for a moved entry). Deleting rows is therefore all erasure
needs: delete an entry and its text leaves the ticket's document in the same statement; delete a contact
(or change its name) and the documents of its tickets are rebuilt without it; delete a ticket and its
document goes with it (PostgreSQL: ON DELETE CASCADE; SQLite: a trigger). On SQLite a write to those
tables through a connection without `search_stems` (the sqlite3 shell) fails with "no such function"
rather than leaving the index stale.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import Stemmer
from sqlalchemy import Subquery, column, false, func, literal_column, select, table

ENTRY_CHARS = 20_000
TICKET_CHARS = 200_000
QUERY_CHARS = 200
TABLE = "ticket_search"

# PostgreSQL's Danish stop words (tsearch_data/danish.stop, Snowball's list): dropped on SQLite too, so a
# query of only stop words finds nothing on both.
STOP_WORDS = frozenset((
    "og", "i", "jeg", "det", "at", "en", "den", "til", "er", "som", "på", "de", "med", "han", "af", "for", "ikke",
    "der", "var", "mig", "sig", "men", "et", "har", "om", "vi", "min", "havde", "ham", "hun", "nu", "over", "da",
    "fra", "du", "ud", "sin", "dem", "os", "op", "man", "hans", "hvor", "eller", "hvad", "skal", "selv", "her",
    "alle", "vil", "blev", "kunne", "ind", "når", "være", "dog", "noget", "ville", "jo", "deres", "efter", "ned",
    "skulle", "denne", "end", "dette", "mit", "også", "under", "have", "dig", "anden", "hende", "mine", "alt",
    "meget", "sit", "sine", "vor", "mod", "disse", "hvis", "din", "nogle", "hos", "blive", "mange", "ad", "bliver",
    "hendes", "været", "thi", "jer", "sådan",
))

_WORD = re.compile(r"[^\W_]+")  # letters and digits: what unicode61 keeps as one token
_STEMMER = Stemmer.Stemmer("danish")
_STEMMER.maxCacheSize = 200_000  # a support inbox's vocabulary; every word is stemmed once


def is_index_table(name: str) -> bool:
    """The search index's own tables (SQLite: the FTS5 table and its shadow tables): not in the models."""
    return name == TABLE or name.startswith(TABLE + "_")


def words(value: str | None) -> list[str]:
    """The stemmed words of `value` as SQLite indexes and searches them (stop words dropped)."""
    if not value:
        return []
    tokens = _WORD.findall(unicodedata.normalize("NFKC", value).casefold())
    return _STEMMER.stemWords([token for token in tokens if token not in STOP_WORDS])


@functools.lru_cache(maxsize=16)
def stems(value: str | None) -> str:
    """`words` joined by spaces: the SQL function search_stems, what the FTS5 table stores.

    Cached, a few texts only: the triggers rebuild a ticket's whole document for each row written about it
    (the ticket, its entry, each linked device), so one mail's write stems the same thread text two or three
    times in a row. Small, because a text may be TICKET_CHARS long (16 hold at most ~25 MB)."""
    return " ".join(words(value))


def register(dbapi_connection: Any) -> None:
    """Make search_stems() known to a SQLite connection (the index's triggers call it)."""
    dbapi_connection.create_function("search_stems", 1, stems, deterministic=True)


def clean_query(query: str) -> str:
    """The query as PostgreSQL may be given it: at most QUERY_CHARS, no NUL, no control characters, no
    lone surrogates (plainto_tsquery reads anything else as words, operators included)."""
    query = query[:QUERY_CHARS].encode("utf-8", "ignore").decode("utf-8")
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in query).strip()


def hits(query: str, dialect: str) -> Subquery:
    """(ticket_id, rank) of the tickets matching every word of `query`, best first by ascending rank.

    Never raises on what staff type: the query is taken apart into words here (SQLite: each word quoted,
    so FTS5 sees no operators; PostgreSQL: plainto_tsquery, which has none); a query without a word to
    look for (empty, punctuation, only stop words) finds nothing.
    """
    if dialect == "sqlite":
        terms = words(query[:QUERY_CHARS])
        fts = table(TABLE, column("rowid"), column(TABLE))
        if not terms:
            return select(literal_column("0").label("ticket_id"), literal_column("0.0").label("rank")).where(
                false()).subquery("hits")
        match = " ".join(f'"{term}"' for term in dict.fromkeys(terms))
        rank = func.bm25(literal_column(TABLE), 10.0, 4.0, 1.0)
        return (select(fts.c.rowid.label("ticket_id"), rank.label("rank"))
                .where(fts.c[TABLE].op("MATCH")(match)).subquery("hits"))
    document = table(TABLE, column("ticket_id"), column("document"))
    tsquery = func.plainto_tsquery(literal_column("'danish'::regconfig"), clean_query(query))
    return (select(document.c.ticket_id, (-func.ts_rank(document.c.document, tsquery)).label("rank"))
            .where(document.c.document.op("@@")(tsquery)).subquery("hits"))


# --- the schema (migration 0012), one definition per database ---------------------------------------------

_ENTRY_TEXT = ("coalesce(e.subject, '') || ' ' || substr(e.body_text, 1, {entry})")


@functools.cache
def _sqlite_document_select(ids: str) -> str:
    """INSERT of the documents of the tickets `ids` (an SQL set expression) into the FTS5 table."""
    return f"""
INSERT INTO {TABLE} (rowid, title, people, body)
SELECT t.id, search_stems(t.subject),
  search_stems(coalesce(t.from_address, '') || ' ' || coalesce(t.contact_email, '') || ' ' ||
    coalesce((SELECT group_concat(c.name, ' ') FROM contacts c WHERE c.email = t.contact_email), '') || ' ' ||
    coalesce((SELECT group_concat(d.tag || ' ' || d.name || ' ' || coalesce(d.hostname, '') || ' ' ||
                                  coalesce(d.serial, '') || ' ' || coalesce(d.model, ''), ' ')
              FROM ticket_devices td JOIN devices d ON d.id = td.device_id WHERE td.ticket_id = t.id), '')),
  search_stems(substr(coalesce((SELECT group_concat(x, ' ') FROM (
    SELECT {_ENTRY_TEXT.format(entry=ENTRY_CHARS)} AS x FROM ticket_entries e
    WHERE e.ticket_id = t.id AND e.kind <> 'event' ORDER BY e.id DESC)), ''), 1, {TICKET_CHARS}))
FROM tickets t WHERE t.id IN {ids};"""


def _sqlite_refresh(ids: str) -> str:
    return f"DELETE FROM {TABLE} WHERE rowid IN {ids};" + _sqlite_document_select(ids)


_ENTRY_CHANGED = "OLD.ticket_id IS NOT NEW.ticket_id OR OLD.body_text IS NOT NEW.body_text " \
                 "OR OLD.subject IS NOT NEW.subject OR OLD.kind IS NOT NEW.kind"
_TICKET_CHANGED = "OLD.subject IS NOT NEW.subject OR OLD.from_address IS NOT NEW.from_address " \
                  "OR OLD.contact_email IS NOT NEW.contact_email"
_CONTACT_TICKETS = "(SELECT id FROM tickets WHERE contact_email IN ({emails}))"
_DEVICE_TICKETS = "(SELECT ticket_id FROM ticket_devices WHERE device_id = NEW.id)"
_DEVICE_CHANGED = "OLD.tag IS NOT NEW.tag OR OLD.name IS NOT NEW.name OR OLD.hostname IS NOT NEW.hostname " \
                  "OR OLD.serial IS NOT NEW.serial OR OLD.model IS NOT NEW.model"

# (trigger name, table, event, WHEN condition or "", statements)
_SQLITE_TRIGGERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("search_ticket_insert", "tickets", "INSERT", "", _sqlite_document_select("(NEW.id)")),
    ("search_ticket_update", "tickets", "UPDATE", _TICKET_CHANGED, _sqlite_refresh("(NEW.id)")),
    ("search_ticket_delete", "tickets", "DELETE", "", f"DELETE FROM {TABLE} WHERE rowid = OLD.id;"),
    ("search_entry_insert", "ticket_entries", "INSERT", "", _sqlite_refresh("(NEW.ticket_id)")),
    ("search_entry_update", "ticket_entries", "UPDATE", _ENTRY_CHANGED,
     _sqlite_refresh("(OLD.ticket_id, NEW.ticket_id)")),
    ("search_entry_delete", "ticket_entries", "DELETE", "", _sqlite_refresh("(OLD.ticket_id)")),
    ("search_contact_insert", "contacts", "INSERT", "",
     _sqlite_refresh(_CONTACT_TICKETS.format(emails="NEW.email"))),
    ("search_contact_update", "contacts", "UPDATE", "OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email",
     _sqlite_refresh(_CONTACT_TICKETS.format(emails="OLD.email, NEW.email"))),
    ("search_contact_delete", "contacts", "DELETE", "",
     _sqlite_refresh(_CONTACT_TICKETS.format(emails="OLD.email"))),
    ("search_device_update", "devices", "UPDATE", _DEVICE_CHANGED, _sqlite_refresh(_DEVICE_TICKETS)),
    ("search_ticket_device_insert", "ticket_devices", "INSERT", "", _sqlite_refresh("(NEW.ticket_id)")),
    ("search_ticket_device_delete", "ticket_devices", "DELETE", "", _sqlite_refresh("(OLD.ticket_id)")),
)


def _sqlite_create() -> list[str]:
    statements = [f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, people, body, "
                  "tokenize = 'unicode61 remove_diacritics 0')"]
    for name, on, event, when, body in _SQLITE_TRIGGERS:
        condition = f" WHEN {when}" if when else ""
        statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {on} FOR EACH ROW{condition} BEGIN {body} END")
    statements.append(_sqlite_document_select("(SELECT id FROM tickets)"))
    return statements


_PG_DOCUMENT = f"""
SELECT t.id,
  setweight(to_tsvector('danish', t.subject), 'A') ||
  setweight(to_tsvector('danish', concat_ws(' ', t.from_address, translate(t.from_address, '@.', '  '),
    t.contact_email, translate(t.contact_email, '@.', '  '),
    (SELECT string_agg(c.name, ' ') FROM contacts c WHERE c.email = t.contact_email),
    (SELECT string_agg(concat_ws(' ', d.tag, d.name, d.hostname, d.serial, d.model), ' ')
     FROM ticket_devices td JOIN devices d ON d.id = td.device_id WHERE td.ticket_id = t.id))), 'B') ||
  setweight(to_tsvector('danish', left(coalesce((SELECT string_agg(
      coalesce(e.subject, '') || ' ' || left(e.body_text, {ENTRY_CHARS}), ' ' ORDER BY e.id DESC)
    FROM ticket_entries e WHERE e.ticket_id = t.id AND e.kind <> 'event'), ''), {TICKET_CHARS})), 'D')
FROM tickets t"""

_PG_CREATE = (
    f"CREATE TABLE {TABLE} (ticket_id integer PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    f"CREATE INDEX ix_{TABLE}_document ON {TABLE} USING gin (document)",
    f"""CREATE FUNCTION search_refresh(ticket integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO {TABLE} (ticket_id, document) {_PG_DOCUMENT} WHERE t.id = ticket
ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document
$$""",
    """CREATE FUNCTION search_ticket_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM search_refresh(NEW.id); RETURN NULL; END $$""",
    """CREATE FUNCTION search_entry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM search_refresh(OLD.ticket_id); END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.ticket_id IS DISTINCT FROM OLD.ticket_id) THEN
    PERFORM search_refresh(NEW.ticket_id);
  END IF;
  RETURN NULL;
END $$""",
    """CREATE FUNCTION search_contact_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM search_refresh(t.id) FROM tickets t WHERE t.contact_email IN (
    CASE WHEN TG_OP <> 'INSERT' THEN OLD.email END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.email END);
  RETURN NULL;
END $$""",
    """CREATE FUNCTION search_device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM search_refresh(td.ticket_id) FROM ticket_devices td WHERE td.device_id = NEW.id; RETURN NULL; END $$""",
    """CREATE FUNCTION search_ticket_device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN PERFORM search_refresh(OLD.ticket_id); ELSE PERFORM search_refresh(NEW.ticket_id); END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION search_ticket_changed()",
    "CREATE TRIGGER search_ticket_update AFTER UPDATE ON tickets FOR EACH ROW WHEN ("
    "OLD.subject IS DISTINCT FROM NEW.subject OR OLD.from_address IS DISTINCT FROM NEW.from_address "
    "OR OLD.contact_email IS DISTINCT FROM NEW.contact_email) EXECUTE FUNCTION search_ticket_changed()",
    "CREATE TRIGGER search_entry_insert AFTER INSERT OR DELETE ON ticket_entries FOR EACH ROW "
    "EXECUTE FUNCTION search_entry_changed()",
    "CREATE TRIGGER search_entry_update AFTER UPDATE ON ticket_entries FOR EACH ROW WHEN ("
    "OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.body_text IS DISTINCT FROM NEW.body_text "
    "OR OLD.subject IS DISTINCT FROM NEW.subject OR OLD.kind IS DISTINCT FROM NEW.kind) "
    "EXECUTE FUNCTION search_entry_changed()",
    "CREATE TRIGGER search_contact_insert AFTER INSERT OR DELETE ON contacts FOR EACH ROW "
    "EXECUTE FUNCTION search_contact_changed()",
    "CREATE TRIGGER search_contact_update AFTER UPDATE ON contacts FOR EACH ROW WHEN ("
    "OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email) "
    "EXECUTE FUNCTION search_contact_changed()",
    "CREATE TRIGGER search_device_update AFTER UPDATE ON devices FOR EACH ROW WHEN ("
    "OLD.tag IS DISTINCT FROM NEW.tag OR OLD.name IS DISTINCT FROM NEW.name OR OLD.hostname IS DISTINCT FROM "
    "NEW.hostname OR OLD.serial IS DISTINCT FROM NEW.serial OR OLD.model IS DISTINCT FROM NEW.model) "
    "EXECUTE FUNCTION search_device_changed()",
    "CREATE TRIGGER search_ticket_device_changed AFTER INSERT OR DELETE ON ticket_devices FOR EACH ROW "
    "EXECUTE FUNCTION search_ticket_device_changed()",
    f"INSERT INTO {TABLE} (ticket_id, document) {_PG_DOCUMENT}",
)

_PG_DROP = (
    "DROP TRIGGER IF EXISTS search_ticket_insert ON tickets", "DROP TRIGGER IF EXISTS search_ticket_update ON tickets",
    "DROP TRIGGER IF EXISTS search_entry_insert ON ticket_entries",
    "DROP TRIGGER IF EXISTS search_entry_update ON ticket_entries",
    "DROP TRIGGER IF EXISTS search_contact_insert ON contacts",
    "DROP TRIGGER IF EXISTS search_contact_update ON contacts",
    "DROP TRIGGER IF EXISTS search_device_update ON devices",
    "DROP TRIGGER IF EXISTS search_ticket_device_changed ON ticket_devices",
    "DROP FUNCTION IF EXISTS search_ticket_changed()", "DROP FUNCTION IF EXISTS search_entry_changed()",
    "DROP FUNCTION IF EXISTS search_contact_changed()", "DROP FUNCTION IF EXISTS search_device_changed()",
    "DROP FUNCTION IF EXISTS search_ticket_device_changed()", "DROP FUNCTION IF EXISTS search_refresh(integer)",
    f"DROP TABLE IF EXISTS {TABLE}",
)


def create_index(connection: Any) -> None:
    """Create the index, its triggers, and the documents of every ticket already stored (migration 0012)."""
    if connection.dialect.name == "sqlite":
        register(connection.connection.driver_connection)  # also when Alembic's own engine runs this
        statements = _sqlite_create()
    else:
        statements = list(_PG_CREATE)
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_index(connection: Any) -> None:
    if connection.dialect.name == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name, *_ in _SQLITE_TRIGGERS]
        statements.append(f"DROP TABLE IF EXISTS {TABLE}")
    else:
        statements = list(_PG_DROP)
    for statement in statements:
        connection.exec_driver_sql(statement)
