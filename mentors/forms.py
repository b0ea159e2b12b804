from decimal import Decimal

from django import forms

from accounts.models import (
    DEFAULT_SESSION_MINUTES,
    SESSION_LENGTHS,
    TIME_ZONE_CHOICES,
    ApplicationStatus,
    MentorProfile,
    User,
)
from mentors import validation
from mentors.models import MAX_COMMENT_LENGTH, MAX_RATING, MIN_RATING
from mentors.selectors import ApplicationFilters, DirectoryFilters
from mentors.services import MAX_REASON_LENGTH, MentorDetails

MAX_SEARCH_LENGTH = 100
MAX_BIO_LENGTH = 5000


class MentorProfileForm(forms.Form):
    """The mentor application, and later the mentor's own profile edit form."""

    headline = forms.CharField(
        max_length=160,
        help_text="One line mentees see first, e.g. “Senior Python engineer at Acme”.",
    )
    bio = forms.CharField(
        max_length=MAX_BIO_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Your experience and how you like to mentor.",
    )
    skills = forms.CharField(
        max_length=2000,
        help_text=f"Separated by commas, e.g. Python, Django, SQL (at most "
        f"{validation.MAX_SKILLS}).",
    )
    hourly_rate = forms.DecimalField(
        label="Hourly rate (USD)",
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "1000"}),
        error_messages={
            "invalid": "Enter the hourly rate as a number, such as 60.00.",
            "max_decimal_places": "The hourly rate has at most 2 decimal places.",
            "max_digits": "The hourly rate must be more than 0 and at most 1000.",
            "max_whole_digits": "The hourly rate must be more than 0 and at most 1000.",
        },
        help_text="New rates apply to new bookings only; booked sessions keep their price.",
    )
    default_session_minutes = forms.TypedChoiceField(
        label="Default session length",
        choices=SESSION_LENGTHS,
        coerce=int,
        initial=DEFAULT_SESSION_MINUTES,
    )
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=TIME_ZONE_CHOICES,
        help_text="Your weekly hours are in this zone; it also updates your account.",
    )
    linkedin_url = forms.CharField(
        label="LinkedIn profile (optional)",
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://www.linkedin.com/in/your-name"}),
    )
    github_url = forms.CharField(
        label="GitHub profile (optional)",
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/your-name"}),
    )

    def clean_headline(self) -> str:
        return " ".join(self.cleaned_data["headline"].split())

    def clean_skills(self) -> str:
        return validation.normalise_skills(self.cleaned_data["skills"])

    def clean_hourly_rate(self) -> Decimal:
        return validation.validate_hourly_rate(self.cleaned_data["hourly_rate"])

    def clean_linkedin_url(self) -> str:
        return validation.canonical_profile_url(self.cleaned_data["linkedin_url"], "linkedin")

    def clean_github_url(self) -> str:
        return validation.canonical_profile_url(self.cleaned_data["github_url"], "github")

    def details(self) -> MentorDetails:
        data = self.cleaned_data
        return MentorDetails(
            headline=data["headline"],
            bio=data["bio"],
            skills=data["skills"],
            hourly_rate=data["hourly_rate"],
            default_session_minutes=data["default_session_minutes"],
            time_zone=data["time_zone"],
            linkedin_url=data["linkedin_url"],
            github_url=data["github_url"],
        )

    @staticmethod
    def initial_for(user: User, profile: MentorProfile | None) -> dict:
        initial: dict = {"time_zone": user.time_zone}
        if profile is not None:
            initial.update(
                headline=profile.headline,
                bio=profile.bio,
                skills=profile.skills,
                hourly_rate=profile.hourly_rate,
                default_session_minutes=profile.default_session_minutes,
                linkedin_url=profile.linkedin_url,
                github_url=profile.github_url,
            )
        return initial


class RejectApplicationForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON_LENGTH,
        strip=True,
        error_messages={
            "required": "A reason is required to reject an application; nothing was changed.",
            "max_length": f"The reason is too long (at most {MAX_REASON_LENGTH} characters); "
            "nothing was changed.",
        },
    )


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *ApplicationStatus.choices], required=False
    )
    q = forms.CharField(required=False, max_length=MAX_SEARCH_LENGTH, strip=True, label="Search")

    def filters(self) -> ApplicationFilters:
        data = self.cleaned_data if self.is_bound else {}
        data = {k: v for k, v in data.items() if k not in self.errors}
        return ApplicationFilters(status=data.get("status") or "", q=data.get("q") or "")


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        strip=True,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "Name, headline or skill"}),
        error_messages={
            "max_length": f"Search for at most {MAX_SEARCH_LENGTH} characters; the search "
            "was ignored.",
        },
    )
    skill = forms.CharField(
        required=False,
        max_length=validation.MAX_SKILL_LENGTH,
        strip=True,
        widget=forms.Select,
        error_messages={"max_length": "No such skill; the skill filter was ignored."},
    )

    def __init__(self, *args, skills: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Any skill"), *((skill, skill) for skill in skills)]
        requested = self.data.get("skill", "") if self.is_bound else ""
        if (
            isinstance(requested, str)
            and requested.strip()
            and len(requested) <= validation.MAX_SKILL_LENGTH
            and requested.strip().casefold() not in {s.casefold() for s in skills}
        ):
            # A skill from an old link stays selected (and simply matches nobody).
            choices.append((requested.strip(), requested.strip()))
        self.fields["skill"].widget.choices = choices

    def filters(self) -> DirectoryFilters:
        data = self.cleaned_data if self.is_bound else {}
        data = {k: v for k, v in data.items() if k not in self.errors}
        return DirectoryFilters(q=data.get("q") or "", skill=data.get("skill") or "")


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=[
            (n, f"{n} star{'s' if n > 1 else ''}") for n in range(MAX_RATING, MIN_RATING - 1, -1)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"The comment is too long (at most {MAX_COMMENT_LENGTH} characters).",
        },
    )
