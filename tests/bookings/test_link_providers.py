"""Created meeting links (docs/PRODUCT.md §3, "Created links"): the Jitsi provider's rooms,
and how the validator accepts them on exactly the configured host."""

import math
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bookings import link_providers, services
from bookings.link_providers import LinkProviderError, NoLinkProvider, create_meeting_link
from bookings.meeting_links import canonicalize_meeting_link
from bookings.models import MentoringSession, Status
from tests.factories import SessionFactory, UserFactory

ROOM = re.compile(r"^https://meet\.jit\.si/CodeMentorHub-([a-z2-7]{32})$")
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


@pytest.fixture
def jitsi(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = "https://meet.jit.si"


def test_jitsi_link_is_a_room_on_the_base_url_with_a_readable_prefix(jitsi):
    link = create_meeting_link(None)

    assert ROOM.fullmatch(link), link


def test_jitsi_room_names_carry_at_least_128_random_bits(jitsi):
    tokens = [ROOM.fullmatch(create_meeting_link(None)).group(1) for _ in range(200)]

    assert len(set(tokens)) == 200
    # 32 characters, each one of 32: 160 bits; and the generator draws them all.
    assert {len(token) for token in tokens} == {32}
    assert 32 * math.log2(len(BASE32)) >= 128
    assert set("".join(tokens)) == set(BASE32)


def test_created_jitsi_link_passes_the_validator_unchanged(jitsi):
    link = create_meeting_link(None)

    assert canonicalize_meeting_link(link) == link
    assert canonicalize_meeting_link(f"  {link}/?utm=x#top ") == link


def test_jitsi_links_are_refused_when_jitsi_is_not_configured(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = ""
    settings.MEETING_LINK_EXTRA_PROVIDERS = []

    with pytest.raises(ValidationError) as refused:
        canonicalize_meeting_link("https://meet.jit.si/CodeMentorHub-abcdefghijklmnop")

    assert refused.value.messages == [
        "Only Google Meet links are accepted, like https://meet.google.com/abc-defg-hij."
    ]


def test_self_hosted_jitsi_accepts_exactly_its_own_host(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = "https://video.example.org"

    link = create_meeting_link(None)

    assert link.startswith("https://video.example.org/CodeMentorHub-")
    assert canonicalize_meeting_link(link) == link
    with pytest.raises(ValidationError) as refused:
        canonicalize_meeting_link("https://meet.jit.si/CodeMentorHub-abcdefghijklmnop")
    assert refused.value.messages == [
        "Only Google Meet, Jitsi Meet links are accepted, like "
        "https://meet.google.com/abc-defg-hij or https://video.example.org/CodeMentorHub-room."
    ]
    with pytest.raises(ValidationError):
        canonicalize_meeting_link(f"https://video.example.org.evil.test/{link.rsplit('/')[-1]}")


def test_a_stored_jitsi_link_is_labelled_jitsi_meet(jitsi):
    session = MentoringSession(admin_provided_link=create_meeting_link(None))

    assert session.meeting_provider_label == "Jitsi Meet"


def test_no_provider_configured_is_refused_in_words(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = ""

    with pytest.raises(NoLinkProvider) as refused:
        create_meeting_link(None)

    assert str(refused.value) == (
        "No meeting-link provider is configured on this site; paste a link instead."
    )


class BrokenProvider:
    label = "Broken Meet"

    def create_link(self, session) -> str:
        raise TimeoutError("no answer within 10 s")


def test_a_failing_provider_is_a_message_for_the_admin(use_link_provider):
    use_link_provider(BrokenProvider())

    with pytest.raises(LinkProviderError) as failed:
        create_meeting_link(None)

    assert str(failed.value) == (
        "Broken Meet could not create a meeting link (no answer within 10 s); try again or "
        "paste a link instead. Nothing was changed."
    )


def test_registered_provider_is_removed_after_the_test():
    assert "test" not in link_providers.PROVIDERS
    assert set(link_providers.PROVIDERS) == {"jitsi"}


class RecordingProvider:
    """Notes whether it was asked inside a database transaction."""

    label = "Recording Meet"

    def __init__(self) -> None:
        self.asked_in_transaction: list[bool] = []

    def create_link(self, session) -> str:
        self.asked_in_transaction.append(connection.in_atomic_block)
        return "https://meet.google.com/aut-omat-ick"


@pytest.mark.django_db(transaction=True)
def test_confirm_asks_the_provider_before_its_transaction(use_link_provider, mentor, mentee):
    provider = RecordingProvider()
    use_link_provider(provider)
    admin = UserFactory(is_staff=True)
    session = SessionFactory(mentor=mentor, mentee=mentee)

    services.confirm_session(session, link=None, by=admin)

    assert provider.asked_in_transaction == [False]
    session.refresh_from_db()
    assert (session.status, session.meeting_link) == (
        Status.CONFIRMED,
        "https://meet.google.com/aut-omat-ick",
    )
