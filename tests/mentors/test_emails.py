"""The applicant's emails: approved, rejected (with the reason) — exact recipient and words,
in both parts, through the outbox."""

import pytest

from mentors import services
from notifications.models import EmailKind, EmailState, OutboundEmail
from tests.helpers import visible_text

SITE = "https://mentors.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def test_approval_email_to_the_applicant(pending_application, admin_user, applicant):
    services.approve_application(pending_application, by=admin_user)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.recipient, email.to_email, email.state) == (
        EmailKind.APPLICATION_APPROVED,
        applicant,
        "ada@example.com",
        EmailState.QUEUED,
    )
    assert email.subject == "Your mentor application has been approved"
    assert email.body_text == (
        "Hello Ada,\n"
        "\n"
        "Your application to mentor on CodeMentorHub has been approved!\n"
        "\n"
        "Your profile is now listed in the mentor directory and mentees can book sessions "
        "with you:\n"
        f"{SITE}/mentors/{applicant.pk}/\n"
        "\n"
        "You can update your headline, skills, rate and links at any time:\n"
        f"{SITE}/mentor/profile/\n"
        "\n"
        "Questions? Write to us at no-reply@codementorhub.test.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )


def test_approval_email_html_has_the_links_and_wording(pending_application, admin_user, applicant):
    services.approve_application(pending_application, by=admin_user)

    body = OutboundEmail.objects.get().body_html
    assert f'href="{SITE}/mentors/{applicant.pk}/"' in body
    assert f'href="{SITE}/mentor/profile/"' in body
    text = visible_text(body)
    assert "Hello Ada," in text
    assert "Your application to mentor on CodeMentorHub has been approved!" in text
    assert "Best regards, CodeMentorHub Team" in text


def test_rejection_email_states_the_reason(pending_application, admin_user, applicant):
    services.reject_application(
        pending_application, by=admin_user, reason="Please add more detail about your work."
    )

    email = OutboundEmail.objects.get()
    assert (email.kind, email.recipient, email.to_email) == (
        EmailKind.APPLICATION_REJECTED,
        applicant,
        "ada@example.com",
    )
    assert email.subject == "Your mentor application was not approved"
    assert email.body_text == (
        "Hello Ada,\n"
        "\n"
        "Thank you for applying to mentor on CodeMentorHub. After reviewing your application, "
        "we are not able to approve it at this time.\n"
        "\n"
        "Reason: Please add more detail about your work.\n"
        "\n"
        "You are welcome to update your details and apply again:\n"
        f"{SITE}/mentor/apply/\n"
        "\n"
        "Questions? Write to us at no-reply@codementorhub.test.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )
    text = visible_text(email.body_html)
    assert "Reason: Please add more detail about your work." in text
    assert f'href="{SITE}/mentor/apply/"' in email.body_html


def test_the_reason_is_escaped_in_html_and_verbatim_in_text(pending_application, admin_user):
    services.reject_application(
        pending_application, by=admin_user, reason='Use <b>real</b> links & "proof"'
    )

    email = OutboundEmail.objects.get()
    assert 'Reason: Use <b>real</b> links & "proof"' in email.body_text
    assert "&lt;b&gt;real&lt;/b&gt; links &amp; &quot;proof&quot;" in email.body_html
    assert "<b>real</b>" not in email.body_html


def test_a_refused_review_queues_no_email(approved_profile, admin_user):
    with pytest.raises(services.MentorActionError):
        services.approve_application(approved_profile, by=admin_user)

    assert not OutboundEmail.objects.exists()
