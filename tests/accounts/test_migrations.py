"""The directory's migration (docs/PRODUCT.md §8.2) fills the mentor profiles' copies of
their users' names and active flag, their search text and skill key, and the skill
filter's options, from profiles written before it."""

import pytest

from tests.bookings.test_migrations import _by_name, _migrate, back_to_latest  # noqa: F401


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_profiles_from_before_get_their_users_names_search_text_and_skill_options():
    _directory, before = _by_name("accounts", "mentor_directory")
    index, _before = _by_name("accounts", "mentor_directory_index")
    apps = _migrate(before)
    User = apps.get_model("accounts", "User")
    Profile = apps.get_model("accounts", "MentorProfile")
    rows = [
        ("ada@example.com", "Ada", "Lovelace", True, "approved", "Python, Go"),
        ("bob@example.com", "Bob", "Stone", False, "approved", "Cobol"),
        ("cy@example.com", "Cy", "Pending", True, "pending", "Rust"),
        ("di@example.com", "Di", "Duke", True, "approved", "python,  Machine   learning"),
    ]
    for email, first, last, active, status, skills in rows:
        user = User.objects.create(email=email, first_name=first, last_name=last, is_active=active)
        Profile.objects.create(
            user=user, headline="Engineer", skills=skills, hourly_rate=50, status=status
        )

    apps = _migrate([index])
    Profile = apps.get_model("accounts", "MentorProfile")
    SkillOptions = apps.get_model("accounts", "SkillOptions")

    copied = Profile.objects.order_by("id").values_list(
        "user_first_name", "user_last_name", "user_is_active", "search_text", "skill_key"
    )
    assert list(copied) == [
        ("Ada", "Lovelace", True, "ada\nlovelace\nengineer\npython, go", ",python,go,"),
        ("Bob", "Stone", False, "bob\nstone\nengineer\ncobol", ",cobol,"),
        ("Cy", "Pending", True, "cy\npending\nengineer\nrust", ",rust,"),
        (
            "Di",
            "Duke",
            True,
            "di\nduke\nengineer\npython,  machine   learning",
            ",python,machine learning,",
        ),
    ]
    # Listed mentors only (not Bob, inactive; not Cy, pending), spelled as Ada spells them.
    assert SkillOptions.objects.get(pk=1).names == ["Go", "Machine learning", "Python"]
