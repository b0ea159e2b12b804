"""/admin/mentors/: the review list, approve, reject with a reason (staff only)."""

import re

import pytest
from django.test import Client

from accounts.models import ApplicationStatus, MentorProfile
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import client_for
from tests.factories import MentorProfileFactory, UserFactory
from tests.helpers import messages_of
from tests.mentors.conftest import profile_snapshot


def _row_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-application-id="(\d+)">', page)]


def _open_dialogs(page: str) -> list[str]:
    return re.findall(r'<dialog id="([\w-]+)"[^>]* open[ >]', page)


# --- access --------------------------------------------------------------------------------


def _urls(profile: MentorProfile) -> list[tuple[str, str]]:
    return [
        ("get", "/admin/mentors/"),
        ("post", f"/admin/mentors/{profile.pk}/approve/"),
        ("post", f"/admin/mentors/{profile.pk}/reject/"),
    ]


def test_anonymous_visitors_are_sent_to_log_in(pending_application):
    for method, url in _urls(pending_application):
        response = getattr(Client(), method)(url, {"reason": "No"} if method == "post" else {})

        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=")
    assert profile_snapshot(pending_application)["status"] == ApplicationStatus.PENDING


@pytest.mark.parametrize("persona", ["mentee", "mentor", "applicant"])
def test_non_staff_get_403_and_nothing_changes(request, pending_application, persona):
    client = client_for(request.getfixturevalue(persona))
    before = profile_snapshot(pending_application)

    for method, url in _urls(pending_application):
        response = getattr(client, method)(url, {"reason": "No"} if method == "post" else {})

        assert response.status_code == 403, url
    assert profile_snapshot(pending_application) == before
    assert not OutboundEmail.objects.exists()


def test_staff_see_the_list(admin_client, pending_application):
    response = admin_client.get("/admin/mentors/")

    assert response.status_code == 200
    assert _row_ids(response.content.decode()) == [pending_application.pk]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_actions_answer_get_with_405(admin_client, pending_application, action):
    response = admin_client.get(f"/admin/mentors/{pending_application.pk}/{action}/")

    assert response.status_code == 405


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_actions_on_an_unknown_application_are_404(admin_client, action):
    response = admin_client.post("/admin/mentors/999999/" + action + "/", {"reason": "No"})

    assert response.status_code == 404


def test_actions_without_csrf_are_refused(admin_user, pending_application):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(f"/admin/mentors/{pending_application.pk}/approve/")

    assert response.status_code == 403
    assert profile_snapshot(pending_application)["status"] == ApplicationStatus.PENDING


def test_the_nav_links_to_the_review_list_for_staff_only(admin_client, mentee):
    assert 'href="/admin/mentors/"' in admin_client.get("/mentors/").content.decode()
    assert 'href="/admin/mentors/"' not in client_for(mentee).get("/mentors/").content.decode()


# --- the list ------------------------------------------------------------------------------


@pytest.fixture
def three_applications(db):
    """An approved, a pending and a rejected application, created in that order."""
    approved = MentorProfileFactory(user=UserFactory(first_name="Amy"), status="approved")
    pending = MentorProfileFactory(user=UserFactory(first_name="Pat"), status="pending")
    rejected = MentorProfileFactory(
        user=UserFactory(first_name="Rex"), status="rejected", rejection_reason="Too vague."
    )
    return approved, pending, rejected


def test_pending_applications_come_first(admin_client, three_applications):
    approved, pending, rejected = three_applications

    page = admin_client.get("/admin/mentors/").content.decode()

    assert _row_ids(page) == [pending.pk, approved.pk, rejected.pk]


@pytest.mark.parametrize("status", ["pending", "approved", "rejected"])
def test_the_list_filters_by_status(admin_client, three_applications, status):
    expected = {"approved": 0, "pending": 1, "rejected": 2}[status]

    page = admin_client.get("/admin/mentors/", {"status": status}).content.decode()

    assert _row_ids(page) == [three_applications[expected].pk]


def test_an_unknown_status_filter_is_ignored_with_a_message(admin_client, three_applications):
    response = admin_client.get("/admin/mentors/", {"status": "bogus"})

    assert len(_row_ids(response.content.decode())) == 3
    assert ("warning", "Some filters were not understood and were ignored.") in messages_of(
        response
    )


def test_only_pending_rows_offer_approve_and_reject(admin_client, three_applications):
    approved, pending, rejected = three_applications

    page = admin_client.get("/admin/mentors/").content.decode()

    assert f'action="/admin/mentors/{pending.pk}/approve/"' in page
    assert f'data-open-dialog="reject-{pending.pk}"' in page
    for decided in (approved, rejected):
        assert f"/admin/mentors/{decided.pk}/approve/" not in page
        assert f"reject-{decided.pk}" not in page
    assert "Too vague." in page  # the rejection reason is shown


def test_the_reject_dialog_opens_server_side_without_javascript(admin_client, pending_application):
    page = admin_client.get(
        "/admin/mentors/", {"status": "pending", "dialog": f"reject-{pending_application.pk}"}
    ).content.decode()

    assert _open_dialogs(page) == [f"reject-{pending_application.pk}"]
    assert 'name="return_query" value="status=pending"' in page


def test_unsafe_stored_links_are_not_rendered_as_links(admin_client, pending_application):
    MentorProfile.objects.filter(pk=pending_application.pk).update(
        linkedin_url="javascript:alert(1)", github_url="https://github.com/ada"
    )

    page = admin_client.get("/admin/mentors/").content.decode()

    assert "javascript:" not in page
    assert '<a href="https://github.com/ada" target="_blank" rel="noopener noreferrer">' in page


# --- approve and reject ----------------------------------------------------------------


def test_approve_approves_emails_and_returns_to_the_filtered_list(
    admin_client, admin_user, pending_application
):
    response = admin_client.post(
        f"/admin/mentors/{pending_application.pk}/approve/",
        {"return_query": "status=pending&next=https://evil.test/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/mentors/?status=pending"
    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.APPROVED
    assert pending_application.reviewed_by == admin_user
    assert list(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.APPLICATION_APPROVED, "ada@example.com")
    ]
    assert messages_of(response) == [
        (
            "success",
            "Ada Lovelace is now an approved mentor. They have been emailed at ada@example.com.",
        )
    ]


def test_reject_with_a_reason_rejects_and_emails(admin_client, pending_application):
    response = admin_client.post(
        f"/admin/mentors/{pending_application.pk}/reject/",
        {"reason": "Please link your GitHub.", "return_query": "status=pending"},
    )

    assert response["Location"] == "/admin/mentors/?status=pending"
    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.REJECTED
    assert pending_application.rejection_reason == "Please link your GitHub."
    assert list(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.APPLICATION_REJECTED, "ada@example.com")
    ]
    assert messages_of(response) == [
        (
            "success",
            "Ada Lovelace's application was rejected. They have been emailed the reason at "
            "ada@example.com.",
        )
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_a_reason_changes_nothing_and_reopens_the_dialog(
    admin_client, pending_application, reason
):
    before = profile_snapshot(pending_application)

    response = admin_client.post(
        f"/admin/mentors/{pending_application.pk}/reject/",
        {"reason": reason, "return_query": "status=pending"},
    )

    assert response["Location"] == "/admin/mentors/?status=pending"
    assert profile_snapshot(pending_application) == before
    assert not OutboundEmail.objects.exists()
    assert messages_of(response) == [
        ("error", "A reason is required to reject an application; nothing was changed.")
    ]
    page = admin_client.get(response["Location"]).content.decode()
    assert _open_dialogs(page) == [f"reject-{pending_application.pk}"]
    assert 'role="alert">A reason is required' in page


def test_approving_an_approved_mentor_is_refused_with_a_message(admin_client, approved_profile):
    before = profile_snapshot(approved_profile)

    response = admin_client.post(f"/admin/mentors/{approved_profile.pk}/approve/")

    assert response["Location"] == "/admin/mentors/"
    assert profile_snapshot(approved_profile) == before
    assert not OutboundEmail.objects.exists()
    assert messages_of(response) == [
        (
            "error",
            "Ada Lovelace is already approved; it cannot be approved. Nothing was changed.",
        )
    ]


def test_rejecting_a_rejected_application_is_refused(admin_client, rejected_application):
    before = profile_snapshot(rejected_application)

    response = admin_client.post(
        f"/admin/mentors/{rejected_application.pk}/reject/", {"reason": "Again"}
    )

    assert profile_snapshot(rejected_application) == before
    assert messages_of(response)[0][0] == "error"
    assert "already rejected" in messages_of(response)[0][1]


def test_the_list_searches_name_email_and_headline(admin_client, three_applications):
    approved, pending, rejected = three_applications
    MentorProfile.objects.filter(pk=rejected.pk).update(headline="Kernel hacker")

    by_name = admin_client.get("/admin/mentors/", {"q": "pat"}).content.decode()
    by_email = admin_client.get("/admin/mentors/", {"q": approved.user.email}).content.decode()
    by_headline = admin_client.get("/admin/mentors/", {"q": "kernel"}).content.decode()

    assert _row_ids(by_name) == [pending.pk]
    assert _row_ids(by_email) == [approved.pk]
    assert _row_ids(by_headline) == [rejected.pk]
