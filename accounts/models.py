import zoneinfo
from decimal import Decimal

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from common.email_addresses import validate_email_address


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone from the list, such as Europe/Berlin.")


TIME_ZONE_CHOICES = [
    (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person: every registered user is a mentee; an approved MentorProfile makes a mentor."""

    username = None
    email = models.EmailField("email address", unique=True, validators=[validate_email_address])
    first_name = models.CharField("first name", max_length=150)
    last_name = models.CharField("last name", max_length=150)
    time_zone = models.CharField(
        max_length=64, default="UTC", choices=TIME_ZONE_CHOICES, validators=[validate_time_zone]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# The lengths a session can be booked for and a mentor can offer by default (docs/PRODUCT.md
# §7.2, §8.1). Here, below mentors, bookings and availability, so that all of them read it.
BOOKABLE_MINUTES = (30, 45, 60, 90)
DEFAULT_SESSION_MINUTES = 60
SESSION_LENGTHS = [(minutes, f"{minutes} minutes") for minutes in BOOKABLE_MINUTES]
CHOOSE_A_SESSION_LENGTH = (
    "Choose a session length of "
    f"{', '.join(str(minutes) for minutes in BOOKABLE_MINUTES[:-1])} "
    f"or {BOOKABLE_MINUTES[-1]} minutes."
)


class MentorProfile(models.Model):
    """A user's mentor application; once approved, they are listed and bookable."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mentor_profile")
    headline = models.CharField(max_length=160)
    bio = models.TextField(blank=True)
    skills = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    hourly_rate = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    default_session_minutes = models.PositiveSmallIntegerField(
        choices=SESSION_LENGTHS, default=DEFAULT_SESSION_MINUTES
    )
    linkedin_url = models.URLField(max_length=300, blank=True)
    github_url = models.URLField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The mentor's reviews summed up, kept by mentors.services.refresh_rating whenever one is
    # written, so that ordering mentors by rating reads an index, not every review. Without
    # reviews the average is 0, below any real one (1–5).
    rating_avg = models.FloatField(default=0, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="mentor_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values),
                name="mentor_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="mentor_status"),
            # Best rated first (the home page's top mentors): the listed mentors in order.
            models.Index(
                models.F("rating_avg").desc(),
                models.F("rating_count").desc(),
                "id",
                name="mentor_rating",
                condition=models.Q(status=ApplicationStatus.APPROVED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.headline}"

    @property
    def is_approved(self) -> bool:
        return self.status == ApplicationStatus.APPROVED

    @property
    def skill_list(self) -> list[str]:
        return [skill.strip() for skill in self.skills.split(",") if skill.strip()]


def is_mentor(user) -> bool:
    """Whether `user` has an approved mentor profile (and so mentor pages and sessions)."""
    profile = getattr(user, "mentor_profile", None)
    return bool(profile and profile.is_approved)
