"""accounts/search.py: each word must begin a first name, a last name or an email address,
case-insensitively, on both databases (SQLite reads its FTS5 index, PostgreSQL its
lower(name) indexes)."""

import pytest
from django.db import connection

from accounts import search
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def found(text: str) -> list[int]:
    return search.people_matching(text.split(), limit=10)


@pytest.fixture
def elise():
    return UserFactory(first_name="Élise", last_name="Ødegård", email="elise.o@example.com")


@pytest.mark.parametrize("text", ["élise", "ÉLISE", "Éli", "ødegård", "ØDE", "élise øde"])
def test_any_letters_case_is_folded(text, elise):
    assert found(text) == [elise.pk]


@pytest.mark.parametrize("text", ["lise", "degard", "odegard", "élise x"])
def test_a_word_must_begin_a_name_accents_and_all(text, elise):
    """ "elise" still finds her: by her email, which begins with it."""
    assert found(text) == []
    assert found("elise") == [elise.pk]


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("van", True),
        ("van ross", False),  # one word per name: "van Rossum" is one last name
        ("rossum", False),
        ("o'br", True),
        ("brien", False),
        ("mary-j", True),
        ("jane", False),
        ("guido.van", True),
    ],
)
def test_names_with_spaces_and_punctuation_are_begun_as_a_whole(text, hit):
    person = UserFactory(first_name="Mary-Jane", last_name="van Rossum", email="guido.van@x.io")
    other = UserFactory(first_name="Siobhan", last_name="O'Brien", email="sob@x.io")

    assert found(text) == ([person.pk] if text != "o'br" else [other.pk]) * hit


def test_the_index_follows_every_change_of_a_person(elise):
    elise.first_name = "Margarethe"
    elise.save()
    assert (found("élise"), found("marga")) == ([], [elise.pk])

    User.objects.filter(pk=elise.pk).update(email="m.o@example.com", last_name="Olsen")
    assert (found("ødegård"), found("olsen"), found("m.o@")) == ([], [elise.pk], [elise.pk])

    User.objects.bulk_create([User(email="grace@example.com", first_name="Grace")])
    grace = User.objects.get(email="grace@example.com")
    assert found("grace") == [grace.pk]

    elise.delete()
    assert (found("marga"), found("olsen")) == ([], [])


def test_ids_come_lowest_first_and_at_most_the_limit():
    people = [UserFactory(first_name="Ada") for _ in range(5)]

    assert search.people_matching(["ada"], limit=3) == [person.pk for person in people[:3]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
def test_the_index_keeps_the_characters_the_search_expects():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'accounts_user_names'")
        (definition,) = cursor.fetchone()

    assert f"tokenchars '{search.TOKEN_CHARS.replace(chr(39), chr(39) * 2)}'" in definition
    assert "remove_diacritics 0" in definition
