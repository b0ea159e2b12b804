"""Finding people by what staff type: each word must begin a first name, a last name or an
email address (case-insensitive). Every test here is served by an index
(accounts/migrations/0003_name_search_indexes.py), so a search costs the same with 20 or
20,000 people; infix matches ("ovel" for "Lovelace") are deliberately not offered."""

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThan, StartsWith

from accounts.models import User

# Sorts after every other character: 'word' <= x < 'word' + LAST is "x begins with word".
LAST = "\U0010ffff"


def _begins(expression, word: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(StartsWith(expression, word))
    # SQLite: a range, which the expression index serves (LIKE it would not).
    return Q(GreaterThanOrEqual(expression, word)) & Q(LessThan(expression, word + LAST))


def people_matching(words: list[str]) -> QuerySet[User]:
    """The ids of people (lowest first) each of `words` begins one of whose names, or whose email:
    "ada love" finds Ada Lovelace, "lovelace" and "ada@example.com" too."""
    people = User.objects.all()
    for word in words:
        word = word.lower()
        people = people.filter(
            _begins(Lower("first_name"), word)
            | _begins(Lower("last_name"), word)
            | _begins(F("email"), word)
        )
    return people.order_by("id").values_list("id", flat=True)
