"""Emails about mentor applications, to the applicant, rendered and queued like every email.

Called by mentors.services inside the review transaction, so the email exists if and only
if the decision was committed.
"""

from accounts.models import MentorProfile
from common.urls import absolute_url
from notifications.emails import queue_email
from notifications.models import EmailKind, OutboundEmail


def _context(profile: MentorProfile) -> dict:
    return {
        "profile": profile,
        "public_url": absolute_url("mentor_profile", profile.user_id),
        "edit_url": absolute_url("mentor_profile_edit"),
        "apply_url": absolute_url("mentor_apply"),
    }


def queue_application_approved(profile: MentorProfile) -> OutboundEmail:
    return queue_email(
        profile.user, EmailKind.APPLICATION_APPROVED, "application_approved", _context(profile)
    )


def queue_application_rejected(profile: MentorProfile) -> OutboundEmail:
    return queue_email(
        profile.user, EmailKind.APPLICATION_REJECTED, "application_rejected", _context(profile)
    )
