"""What the directory reads from the mentor profiles (docs/PRODUCT.md §8.2) is kept right
by every writer: the copies of the user's names and active flag that give the order, the
search text, the skill key, and the skill filter's options."""

from django.core.management import call_command
from django.test import Client

from accounts import services as account_services
from accounts.models import (
    MAX_SKILL_OPTIONS,
    ApplicationStatus,
    MentorProfile,
    SkillOptions,
    User,
    most_named_skills,
)
from mentors import services
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mentors.conftest import card_ids, details, mentor_named


def directory_ids(**params) -> list[int]:
    return card_ids(Client().get("/mentors/", params).content.decode())


def recounted_options() -> list[str]:
    """The skill options counted from scratch, as the directory counted them per request."""
    listed = MentorProfile.objects.filter(
        status=ApplicationStatus.APPROVED, user__is_active=True
    ).order_by("id")
    return most_named_skills(listed.values_list("skills", flat=True))


def change_in_django_admin(superuser: User, user: User, **changes) -> None:
    """Post the user's change form in Django's admin with `changes`, the rest as shown."""
    client = client_for(superuser)
    form = client.get(f"/django-admin/accounts/user/{user.pk}/change/").context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("last_login", "date_joined"):
            data[f"{name}_0"], data[f"{name}_1"] = (
                (value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")) if value else ("", "")
            )
        elif name == "groups":
            data[name] = [group.pk for group in value or []]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None and name != "password":
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    response = client.post(f"/django-admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def superuser() -> User:
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


# --- the order, by name --------------------------------------------------------------------


def test_names_sort_ignoring_case_then_first_name_then_id(db):
    baker = mentor_named("ann", "baker")
    adams_b = mentor_named("Bob", "ADAMS")
    adams_a = mentor_named("al", "Adams")
    twin = mentor_named("AL", "adams")

    assert directory_ids() == [adams_a.user_id, twin.user_id, adams_b.user_id, baker.user_id]


def test_a_name_changed_on_the_account_page_moves_the_mentor(db):
    first = mentor_named("Ada", "Adams")
    last = mentor_named("Zoe", "Zimmer")
    assert directory_ids() == [first.user_id, last.user_id]

    account_services.update_account(
        last.user, first_name="Zoe", last_name="Aaron", email=last.user.email, time_zone="UTC"
    )

    assert directory_ids() == [last.user_id, first.user_id]
    profile = MentorProfile.objects.get(pk=last.pk)
    assert (profile.user_first_name, profile.user_last_name) == ("Zoe", "Aaron")
    assert profile.search_text == "zoe\naaron\nsenior engineer\npython, django"
    assert directory_ids(q="aaron") == [last.user_id]
    assert directory_ids(q="zimmer") == []


def test_a_name_changed_in_django_admin_moves_the_mentor(db):
    first = mentor_named("Ada", "Adams")
    last = mentor_named("Zoe", "Zimmer")

    change_in_django_admin(superuser(), first.user, last_name="Zuse")

    assert directory_ids() == [last.user_id, first.user_id]
    assert MentorProfile.objects.get(pk=first.pk).user_last_name == "Zuse"
    assert directory_ids(q="zuse") == [first.user_id]


def test_a_new_account_applying_is_listed_under_its_names_once_approved(db, admin_user):
    listed = mentor_named("Mia", "Miller")
    response = Client().post(
        "/accounts/signup/",
        {
            "first_name": "Ben",
            "last_name": "Abbott",
            "email": "ben@example.com",
            "time_zone": "UTC",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="ben@example.com")
    profile = services.apply_to_mentor(user, details(skills="Haskell"))
    assert directory_ids() == [listed.user_id]

    services.approve_application(profile, by=admin_user)

    assert directory_ids() == [user.pk, listed.user_id]
    assert directory_ids(q="abbott") == [user.pk]
    assert directory_ids(skill="haskell") == [user.pk]


def test_deactivating_in_django_admin_unlists_and_reactivating_lists_again(db):
    kept = mentor_named("Kim", skills="Python")
    gone = mentor_named("Lee", skills="Elixir")
    root = superuser()
    assert "Elixir" in SkillOptions.current()

    change_in_django_admin(root, gone.user, is_active=False)

    assert directory_ids() == [kept.user_id]
    assert SkillOptions.current() == ["Python"]

    change_in_django_admin(root, gone.user, is_active=True)

    assert directory_ids() == [kept.user_id, gone.user_id]
    assert SkillOptions.current() == ["Elixir", "Python"]


def test_a_name_change_without_profile_writes_no_profile(db):
    user = UserFactory(first_name="Solo", last_name="Mentee")

    account_services.update_account(
        user, first_name="Han", last_name="Solo", email=user.email, time_zone="UTC"
    )

    assert MentorProfile.objects.count() == 0
    assert User.objects.get(pk=user.pk).get_full_name() == "Han Solo"


# --- the skill filter's options --------------------------------------------------------------


def test_options_are_the_most_named_skills_spelled_as_the_first_mentor_spells_them(db):
    for n in range(MAX_SKILL_OPTIONS + 5):
        # 65 skills, named by 2 to 8 mentors each; the last ten by two, as is Skill00: of
        # those tied, the first named are kept, so the last five are left out.
        for m in range(n + 2 if n < 3 else 2 + (MAX_SKILL_OPTIONS + 5 - n) // 10):
            mentor_named(f"M{n}-{m}", skills=f"skill{n:02d}" if m else f"Skill{n:02d}")

    options = SkillOptions.current()

    assert options == recounted_options()
    assert len(options) == MAX_SKILL_OPTIONS
    assert options[:3] == ["Skill00", "Skill01", "Skill02"]
    assert options[-1] == "Skill59"


def test_options_follow_skill_edits_approvals_rejections_and_deletions(db, admin_user):
    editor = mentor_named("Edit", skills="Python, Go")
    applicant = services.apply_to_mentor(UserFactory(), details(skills="Rust"))
    rejected = services.apply_to_mentor(UserFactory(), details(skills="Perl"))
    assert SkillOptions.current() == ["Go", "Python"]

    services.update_mentor_profile(editor.user, details(skills="python, Zig"))
    assert SkillOptions.current() == ["python", "Zig"]

    services.approve_application(applicant, by=admin_user)
    services.reject_application(rejected, by=admin_user, reason="Not yet.")
    assert SkillOptions.current() == ["python", "Rust", "Zig"] == recounted_options()

    response = client_for(superuser()).post(
        f"/django-admin/accounts/user/{applicant.user_id}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert SkillOptions.current() == ["python", "Zig"] == recounted_options()


def test_the_directory_shows_the_kept_options(db):
    mentor_named("A", skills="Python, Go")
    SkillOptions.objects.filter(pk=1).update(names=["Go", "Kept"])

    page = Client().get("/mentors/").content.decode()

    assert '<option value="Kept">Kept</option>' in page
    assert '<option value="Python">' not in page


# --- bulk demo data ------------------------------------------------------------------------


def test_seeded_mentors_carry_their_users_names_search_text_and_skill_key(db):
    call_command("seed_demo", password="demo-password", sessions=300, verbosity=0)

    profiles = list(MentorProfile.objects.select_related("user"))
    assert len(profiles) > 6
    for profile in profiles:
        user = profile.user
        assert (profile.user_first_name, profile.user_last_name) == (
            user.first_name,
            user.last_name,
        )
        assert profile.user_is_active is True
        kept = (profile.search_text, profile.skill_key)
        profile.set_search_keys()
        assert kept == (profile.search_text, profile.skill_key)
    assert SkillOptions.current() == recounted_options()
    busy = MentorProfile.objects.get(user__email="bulk-mentor1@mentors.example.com")
    assert busy.user_id in directory_ids(q=busy.user_last_name.lower())
