"""/mentor/apply/ and /mentor/profile/: applying, re-applying, editing one's profile."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import ApplicationStatus, MentorProfile
from tests.conftest import client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of
from tests.mentors.conftest import form_data, profile_snapshot

# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mentor/apply/", "/mentor/profile/"])
def test_anonymous_visitors_are_sent_to_log_in(db, path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/mentor/apply/", "/mentor/profile/"])
def test_anonymous_posts_store_nothing(db, path):
    response = Client().post(path, form_data())

    assert response.status_code == 302
    assert not MentorProfile.objects.exists()


# --- applying ------------------------------------------------------------------------------


def test_the_application_form_shows_every_field(applicant):
    response = client_for(applicant).get("/mentor/apply/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Apply to mentor</h1>" in page
    for name in (
        "headline",
        "bio",
        "skills",
        "hourly_rate",
        "default_session_minutes",
        "time_zone",
        "linkedin_url",
        "github_url",
    ):
        assert f'name="{name}"' in page
    assert '<option value="UTC" selected>' in page  # the user's own zone


def test_applying_creates_a_pending_profile_and_updates_the_time_zone(applicant):
    response = client_for(applicant).post("/mentor/apply/", form_data())

    assert response.status_code == 302
    assert response["Location"] == "/mentor/profile/"
    profile = MentorProfile.objects.get(user=applicant)
    assert profile.status == ApplicationStatus.PENDING
    assert (profile.skills, profile.hourly_rate, profile.default_session_minutes) == (
        "python, Django, SQL",
        Decimal("75.50"),
        45,
    )
    assert profile.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"
    assert profile.github_url == "https://github.com/ada"
    applicant.refresh_from_db()
    assert applicant.time_zone == "Asia/Kolkata"
    assert messages_of(response) == [
        (
            "success",
            "Thank you! Your application has been sent. We will email you once an admin has "
            "reviewed it.",
        )
    ]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("linkedin_url", "javascript:alert(1)", "The link must start with https://"),
        ("linkedin_url", "http://www.linkedin.com/in/ada", "The link must start with https://"),
        ("github_url", "https://github.com.evil.test/ada", "Only GitHub links are accepted here"),
        ("github_url", "https://user:pw@github.com/ada", "must not contain a user name"),
        ("github_url", "https://github.com/ada%0a\x07", "must not contain spaces, line breaks"),
        ("hourly_rate", "0", "The hourly rate must be more than 0 and at most 1000."),
        ("hourly_rate", "1000.01", "The hourly rate must be more than 0 and at most 1000."),
        ("hourly_rate", "12.345", "The hourly rate has at most 2 decimal places."),
        ("default_session_minutes", "50", "Select a valid choice."),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
        ("skills", ",".join(f"s{n}" for n in range(21)), "List at most 20 skills"),
        ("headline", "", "This field is required."),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_stored(
    applicant, field, value, error
):
    response = client_for(applicant).post("/mentor/apply/", form_data(**{field: value}))

    assert response.status_code == 400
    assert error in response.context["form"].errors[field][0]
    assert error.split("“")[0] in response.content.decode()
    assert not MentorProfile.objects.exists()
    applicant.refresh_from_db()
    assert applicant.time_zone == "UTC"


def test_a_refused_link_is_never_rendered_as_a_link(applicant):
    response = client_for(applicant).post(
        "/mentor/apply/", form_data(linkedin_url="javascript:alert(1)")
    )

    page = response.content.decode()
    assert 'href="javascript:' not in page
    assert 'value="javascript:alert(1)"' in page  # shown back in the field, as text


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "pending_application",
            "Your application is already awaiting review; you can still edit it.",
        ),
        ("approved_profile", "You are already an approved mentor; edit your profile instead."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_applying_again_while_pending_or_approved_redirects_to_the_edit_page(
    request, applicant, fixture, message, method
):
    profile = request.getfixturevalue(fixture)
    before = profile_snapshot(profile)

    response = getattr(client_for(applicant), method)("/mentor/apply/", form_data())

    assert response.status_code == 302
    assert response["Location"] == "/mentor/profile/"
    assert messages_of(response) == [("info", message)]
    assert profile_snapshot(profile) == before


def test_a_rejected_applicant_sees_the_reason_and_their_previous_details(
    applicant, rejected_application
):
    response = client_for(applicant).get("/mentor/apply/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your previous application was not approved." in page
    assert "Reason: Please add more detail about your experience." in page
    assert 'value="Staff engineer at Acme"' in page
    assert ">Apply again</button>" in page


def test_a_rejected_applicant_applies_again_and_is_pending(applicant, rejected_application):
    response = client_for(applicant).post(
        "/mentor/apply/", form_data(headline="Staff engineer, 12 years")
    )

    assert response["Location"] == "/mentor/profile/"
    rejected_application.refresh_from_db()
    assert rejected_application.status == ApplicationStatus.PENDING
    assert rejected_application.headline == "Staff engineer, 12 years"
    assert rejected_application.rejection_reason == ""


# --- editing one's profile ---------------------------------------------------------------


def test_a_user_without_a_profile_is_sent_to_apply(applicant):
    response = client_for(applicant).get("/mentor/profile/")

    assert response["Location"] == "/mentor/apply/"
    assert messages_of(response) == [
        ("info", "Apply to mentor first; you can edit your profile afterwards.")
    ]


def test_a_rejected_applicant_is_sent_to_apply_again(applicant, rejected_application):
    before = profile_snapshot(rejected_application)

    response = client_for(applicant).post("/mentor/profile/", form_data(headline="Edited"))

    assert response["Location"] == "/mentor/apply/"
    assert profile_snapshot(rejected_application) == before


def test_the_pending_applicant_sees_the_form_with_their_details(applicant, pending_application):
    response = client_for(applicant).get("/mentor/profile/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your application is awaiting review." in page
    assert 'value="Python, Django"' in page
    assert 'value="75.00"' in page


def test_an_approved_mentor_sees_a_link_to_their_public_profile(applicant, approved_profile):
    response = client_for(applicant).get("/mentor/profile/")

    assert f'href="/mentors/{applicant.pk}/"' in response.content.decode()


def test_an_approved_mentor_edits_their_profile(applicant, approved_profile):
    response = client_for(applicant).post(
        "/mentor/profile/", form_data(headline="Principal engineer", hourly_rate="75.00")
    )

    assert response["Location"] == "/mentor/profile/"
    approved_profile.refresh_from_db()
    assert approved_profile.headline == "Principal engineer"
    assert approved_profile.status == ApplicationStatus.APPROVED
    assert messages_of(response) == [("success", "Your profile has been saved.")]


def test_a_new_rate_is_announced_and_booked_sessions_keep_their_amount(
    applicant, approved_profile, mentee
):
    booked = SessionFactory(mentor=applicant, mentee=mentee, amount=Decimal("75.00"))

    response = client_for(applicant).post("/mentor/profile/", form_data(hourly_rate="90"))

    approved_profile.refresh_from_db()
    booked.refresh_from_db()
    assert approved_profile.hourly_rate == Decimal("90.00")
    assert booked.amount == Decimal("75.00")
    assert messages_of(response) == [
        (
            "success",
            "Your profile has been saved. Your new rate of $90.00/hour applies to new "
            "bookings; sessions already booked keep their price.",
        )
    ]


def test_an_invalid_edit_changes_nothing(applicant, approved_profile):
    before = profile_snapshot(approved_profile)

    response = client_for(applicant).post(
        "/mentor/profile/", form_data(github_url="javascript:alert(1)")
    )

    assert response.status_code == 400
    assert profile_snapshot(approved_profile) == before


def test_one_mentor_cannot_edit_another(applicant, approved_profile, mentor):
    """/mentor/profile/ is always the logged-in user's own profile."""
    before = profile_snapshot(approved_profile)

    client_for(mentor).post("/mentor/profile/", form_data(headline="Hijacked"))

    assert profile_snapshot(approved_profile) == before
    assert MentorProfile.objects.get(user=mentor).headline == "Hijacked"  # their own
