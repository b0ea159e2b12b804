"""SQLite: staff search reads a full-text index of the people's names and email.

`accounts_user_names` is an FTS5 index over accounts_user (external content: it stores
only the index), kept in step by triggers, whatever writes the table (the ORM, bulk
inserts, data repairs). accounts/search.py asks it for the people each of whose words
begins a token: one index read per search (0.1 ms for "ada lovelace" among 20,000 people,
where the intersected ranges of 0003's indexes took 1 ms), and it folds the case of every
letter ("élise" finds "Élise"; SQLite's lower() folds only A–Z).

The tokenizer keeps a name or an address whole: spaces, hyphens, apostrophes, dots and the
characters of an email address are part of a token, so a word must begin the first name,
the last name or the email, as on PostgreSQL ("rossum" does not find "van Rossum").
Accents are kept ("elise" does not find "Élise"), as on PostgreSQL.

0003's lower(name) indexes served the SQLite search before; they are dropped here (every
write paid for them). PostgreSQL keeps them and is untouched.
"""

from django.db import migrations

# Characters that do not split a token (SQL-quoted: the apostrophe is doubled).
TOKEN_CHARS = " -''’.@+_"

CREATE = [
    f"""CREATE VIRTUAL TABLE accounts_user_names USING fts5(
        first_name, last_name, email,
        content='accounts_user', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 tokenchars '{TOKEN_CHARS}'",
        prefix='1 2 3'
    )""",
    """CREATE TRIGGER accounts_user_names_insert AFTER INSERT ON accounts_user BEGIN
        INSERT INTO accounts_user_names (rowid, first_name, last_name, email)
        VALUES (new.id, new.first_name, new.last_name, new.email);
    END""",
    """CREATE TRIGGER accounts_user_names_delete AFTER DELETE ON accounts_user BEGIN
        INSERT INTO accounts_user_names (accounts_user_names, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
    END""",
    """CREATE TRIGGER accounts_user_names_update
    AFTER UPDATE OF first_name, last_name, email ON accounts_user BEGIN
        INSERT INTO accounts_user_names (accounts_user_names, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
        INSERT INTO accounts_user_names (rowid, first_name, last_name, email)
        VALUES (new.id, new.first_name, new.last_name, new.email);
    END""",
    "INSERT INTO accounts_user_names (accounts_user_names) VALUES ('rebuild')",
    "DROP INDEX IF EXISTS user_lower_first_name",
    "DROP INDEX IF EXISTS user_lower_last_name",
]

DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_names_insert",
    "DROP TRIGGER IF EXISTS accounts_user_names_delete",
    "DROP TRIGGER IF EXISTS accounts_user_names_update",
    "DROP TABLE IF EXISTS accounts_user_names",
    "CREATE INDEX IF NOT EXISTS user_lower_first_name ON accounts_user ((lower(first_name)))",
    "CREATE INDEX IF NOT EXISTS user_lower_last_name ON accounts_user ((lower(last_name)))",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_name_search_indexes")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
