"""Finding people by what staff type: each word must begin a first name, a last name or an
email address (case-insensitive). Every test here is served by an index
(accounts/migrations/0003_name_search_indexes.py), so a search costs the same with 20 or
20,000 people; infix matches ("ovel" for "Lovelace") are deliberately not offered.

One SQL statement, written here rather than built by the ORM: the sessions dashboard runs
it on every search, and composing it through querysets cost three times what the database
spends answering it. Its shape is each database's fastest (both measured on the benchmark
data, where "ada lovelace" is 1,377 Adas and 1,503 Lovelaces, 95 of them both):
- PostgreSQL: `(… OR … OR …) AND (… OR … OR …)`, which it answers by combining index
  bitmaps, never touching a person who does not match every word (0.2 ms);
- SQLite: per word the union of its three index ranges, intersected over the words (1 ms).
  The AND-of-ORs shape makes it look up every person matching the first word to test the
  others (2 ms).
"""

from django.db import connection

# Sorts after every other character: 'word' <= x < 'word' + LAST is "x begins with word".
LAST = "\U0010ffff"
# The expressions the indexes are built on, and the email (stored in lower case).
COLUMNS = ('lower("first_name")', 'lower("last_name")', '"email"')


def _begins(column: str, word: str) -> tuple[str, list[str]]:
    if connection.vendor == "postgresql":
        # `text_pattern_ops` indexes serve LIKE 'prefix%'; the word's own % and _ are literal.
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE %s", [f"{escaped}%"]
    # SQLite uses no index for LIKE on an expression, but does for a range.
    return f"{column} >= %s AND {column} < %s", [word, word + LAST]


def people_matching(words: list[str], *, limit: int) -> list[int]:
    """The ids (lowest first, at most `limit`) of the people each of `words` begins one of
    whose names, or whose email: "ada love" finds Ada Lovelace, "lovelace" and
    "ada@example.com" too."""
    tests, params = [], []
    for word in words:
        per_column = []
        for column in COLUMNS:
            test, test_params = _begins(column, word.lower())
            per_column.append(test)
            params += test_params
        tests.append(per_column)
    if connection.vendor == "postgresql":
        where = " AND ".join("(" + " OR ".join(per_column) + ")" for per_column in tests)
        people = f'SELECT "id" FROM "accounts_user" WHERE {where}'
    else:
        people = " INTERSECT ".join(
            'SELECT "id" FROM ('
            + " UNION ".join(
                f'SELECT "id" FROM "accounts_user" WHERE {test}' for test in per_column
            )
            + ') AS "matches"'
            for per_column in tests
        )
    sql = f'SELECT "id" FROM ({people}) AS "people" ORDER BY "id" LIMIT {int(limit)}'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
