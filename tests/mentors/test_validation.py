"""The rules for a mentor's details: skills, rate, session length, profile links."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from mentors.validation import (
    canonical_profile_url,
    normalise_skills,
    safe_profile_url,
    validate_hourly_rate,
    validate_session_minutes,
)


def _refusal(func, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        func(*args)
    return caught.value.messages[0]


# --- skills ----------------------------------------------------------------------------


def test_skills_are_trimmed_deduplicated_ignoring_case_and_joined():
    assert normalise_skills("  python ,Django,,PYTHON,  machine   learning ") == (
        "python, Django, machine learning"
    )


def test_twenty_skills_are_accepted():
    skills = ", ".join(f"skill{n}" for n in range(20))

    assert normalise_skills(skills) == skills


def test_twenty_one_skills_are_refused():
    assert _refusal(normalise_skills, ",".join(f"s{n}" for n in range(21))) == (
        "List at most 20 skills (you listed 21)."
    )


def test_no_skills_are_refused():
    assert _refusal(normalise_skills, " , ,") == "List at least one skill, separated by commas."


def test_an_over_long_skill_is_refused():
    assert "each skill has at most 40 characters" in _refusal(normalise_skills, "x" * 41)


def test_skills_too_long_altogether_are_refused():
    skills = ",".join(f"{n:02d}" + "x" * 30 for n in range(20))  # 20 × 32 + separators

    assert _refusal(normalise_skills, skills) == (
        "Your skills are too long altogether (at most 500 characters)."
    )


def test_control_characters_in_skills_are_refused():
    assert _refusal(normalise_skills, "Python\x00") == "Skills must not contain control characters."


# --- hourly rate and session length ------------------------------------------------------


@pytest.mark.parametrize("raw", ["0.01", "60", "999.99", "1000", "1000.00"])
def test_rates_above_zero_up_to_1000_are_accepted(raw):
    assert validate_hourly_rate(raw) == Decimal(raw).quantize(Decimal("0.01"))


@pytest.mark.parametrize("raw", ["0", "0.00", "-5", "1000.01", "1e9", "NaN", "Infinity"])
def test_rates_outside_the_range_are_refused(raw):
    assert _refusal(validate_hourly_rate, raw) == (
        "The hourly rate must be more than 0 and at most 1000."
    )


def test_a_rate_with_three_decimals_is_refused():
    assert _refusal(validate_hourly_rate, "10.005") == (
        "The hourly rate has at most 2 decimal places."
    )


def test_a_rate_that_is_not_a_number_is_refused():
    assert _refusal(validate_hourly_rate, "ten") == (
        "Enter the hourly rate as a number, such as 60.00."
    )


@pytest.mark.parametrize("minutes", [30, 45, 60, 90])
def test_session_lengths_30_45_60_90_are_accepted(minutes):
    assert validate_session_minutes(minutes) == minutes


@pytest.mark.parametrize("minutes", [0, 15, 50, 120, "60"])
def test_other_session_lengths_are_refused(minutes):
    assert _refusal(validate_session_minutes, minutes) == (
        "Choose a session length of 30, 45, 60 or 90 minutes."
    )


# --- profile links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://www.linkedin.com/in/ada-lovelace", "https://www.linkedin.com/in/ada-lovelace"),
        ("https://linkedin.com/in/ada-lovelace/", "https://www.linkedin.com/in/ada-lovelace"),
        (
            "  HTTPS://WWW.LinkedIn.com/in/ada_l.99/?trk=x#top ",
            "https://www.linkedin.com/in/ada_l.99",
        ),
        ("https://www.linkedin.com/in/j%C3%B6rg", "https://www.linkedin.com/in/j%C3%B6rg"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_linkedin_profile_links_are_canonicalised(raw, canonical):
    assert canonical_profile_url(raw, "linkedin") == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://github.com/ada", "https://github.com/ada"),
        ("https://GitHub.com/Ada-L/", "https://github.com/Ada-L"),
        ("https://github.com./ada?tab=repositories", "https://github.com/ada"),
    ],
)
def test_github_profile_links_are_canonicalised(raw, canonical):
    assert canonical_profile_url(raw, "github") == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("javascript:alert(1)", "The link must start with https://"),
        ("JaVaScRiPt://github.com/%0aalert(1)", "The link must start with https://"),
        ("data:text/html,<script>alert(1)</script>", "The link must start with https://"),
        ("http://github.com/ada", "The link must start with https://"),
        ("//github.com/ada", "The link must start with https://"),
        ("github.com/ada", "The link must start with https://"),
        ("https://evil.test/ada", "Only GitHub links are accepted here"),
        ("https://github.com.evil.test/ada", "Only GitHub links are accepted here"),
        ("https://gist.github.com/ada", "Only GitHub links are accepted here"),
        ("https://www.github.com/ada", "Only GitHub links are accepted here"),
        ("https://github.com@evil.test/ada", "must not contain a user name or password"),
        ("https://ada:secret@github.com/ada", "must not contain a user name or password"),
        ("https://github.com:8443/ada", "must not name a port"),
        ("https://github.com/ada\nSet-Cookie: x", "must not contain spaces, line breaks"),
        ("https://github.com/ada\x00", "must not contain spaces, line breaks"),
        ("https://github.com/a da", "must not contain spaces, line breaks"),
        ("https://gіthub.com/ada", "The link must be a plain GitHub link"),  # Cyrillic і
        ("https://github.com/", "Link to your GitHub profile"),
        ("https://github.com/ada/project/issues", "Link to your GitHub profile"),
        ("https://github.com/-ada", "Link to your GitHub profile"),
        ("https://[github.com/ada", "That is not a valid link"),
        ("https://github.com/" + "a" * 300, "That link is too long (at most 300 characters)."),
    ],
)
def test_unsafe_or_foreign_github_links_are_refused(raw, message):
    assert message in _refusal(canonical_profile_url, raw, "github")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("javascript:alert(document.cookie)", "The link must start with https://"),
        ("http://www.linkedin.com/in/ada", "The link must start with https://"),
        ("https://linkedin.com.evil.test/in/ada", "Only LinkedIn links are accepted here"),
        ("https://evil-linkedin.com/in/ada", "Only LinkedIn links are accepted here"),
        ("https://de.linkedin.com/in/ada", "Only LinkedIn links are accepted here"),
        ("https://www.linkedin.com@evil.test/in/ada", "must not contain a user name"),
        ("https://www.linkedin.com/feed/", "Link to your LinkedIn profile"),
        ("https://www.linkedin.com/in/../../evil", "Link to your LinkedIn profile"),
        ("https://github.com/ada", "Only LinkedIn links are accepted here"),
    ],
)
def test_unsafe_or_foreign_linkedin_links_are_refused(raw, message):
    assert message in _refusal(canonical_profile_url, raw, "linkedin")


def test_a_link_that_is_not_text_is_refused():
    assert _refusal(canonical_profile_url, ["https://github.com/ada"], "github") == (
        "Enter your GitHub link as text."
    )


@pytest.mark.parametrize(
    "stored", ["javascript:alert(1)", "https://evil.test/x", "https://github.com/a\nda", None, 42]
)
def test_safe_profile_url_turns_any_bad_stored_value_into_nothing(stored):
    assert safe_profile_url(stored, "github") == ""


def test_safe_profile_url_keeps_a_good_stored_value():
    assert safe_profile_url("https://github.com/ada", "github") == "https://github.com/ada"
