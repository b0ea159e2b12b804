"""Finding people by what staff type: each word must begin a first name, a last name or an
email address (case-insensitive). Every test here is served by an index, so a search costs
the same with 20 or 20,000 people; infix matches ("ovel" for "Lovelace") are deliberately
not offered.

One SQL statement per database, written here rather than built by the ORM, because each
database answers it from its own kind of index:
- PostgreSQL: `lower(name) text_pattern_ops` indexes (accounts/migrations/0003), asked
  `(… LIKE 'ada%' OR …) AND (… LIKE 'lovelace%' OR …)`, which it answers by combining
  their bitmaps;
- SQLite: the FTS5 index `accounts_user_names` (accounts/migrations/0004), asked for
  `"ada"* AND "lovelace"*`. Its tokens are whole names and addresses, so the
  rule is the same; it also folds the case of non-ASCII letters, which SQLite's lower()
  does not.
"""

from django.db import connection

# The expressions 0003's indexes are built on, and the email (stored in lower case).
COLUMNS = ('lower("first_name")', 'lower("last_name")', '"email"')
# Besides letters and digits, what a token of the SQLite index may hold (its tokenizer's
# `tokenchars`, accounts/migrations/0004): any other character ends a token, so a word
# holding one begins no name there.
TOKEN_CHARS = " -'’.@+_"


def _like_prefix(word: str) -> str:
    # `text_pattern_ops` indexes serve LIKE 'prefix%'; the word's own % and _ are literal.
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _postgresql(words: list[str]) -> tuple[str, list[str]]:
    tests, params = [], []
    for word in words:
        tests.append("(" + " OR ".join(f"{column} LIKE %s" for column in COLUMNS) + ")")
        params += [_like_prefix(word.lower())] * len(COLUMNS)
    return f'SELECT "id" FROM "accounts_user" WHERE {" AND ".join(tests)}', params


def _sqlite(words: list[str]) -> tuple[str, list[str]] | None:
    if any(not (char.isalnum() or char in TOKEN_CHARS) for word in words for char in word):
        return None  # "j%": nobody's name or email begins with it (on PostgreSQL neither)
    # Each word a quoted prefix query (a double quote inside it doubled): FTS5 syntax
    # never sees the word's own characters.
    query = " AND ".join('"' + word.replace('"', '""') + '"*' for word in words)
    return (
        'SELECT "rowid" AS "id" FROM "accounts_user_names" WHERE "accounts_user_names" MATCH %s',
        [query],
    )


def people_matching(words: list[str], *, limit: int) -> list[int]:
    """The ids (lowest first, at most `limit`) of the people each of `words` begins one of
    whose names, or whose email: "ada love" finds Ada Lovelace, "lovelace" and
    "ada@example.com" too."""
    search = _postgresql(words) if connection.vendor == "postgresql" else _sqlite(words)
    if search is None:
        return []
    people, params = search
    sql = f'SELECT "id" FROM ({people}) AS "people" ORDER BY "id" LIMIT {int(limit)}'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
