import zoneinfo
from collections import Counter
from decimal import Decimal

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower

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
        indexes = [
            # The admins, whom every booking and move is emailed to: a handful among every
            # person who ever signed up, read without walking all of them.
            models.Index(
                fields=["id"],
                condition=models.Q(is_staff=True, is_active=True),
                name="user_active_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, **kwargs) -> None:
        """Every change of a person's names or of whether the account is active is copied
        onto their mentor profile here, whoever makes it (the account page, Django's admin),
        since the directory sorts and filters by those copies (MentorProfile.follow_user)."""
        adding = self._state.adding
        super().save(**kwargs)
        fields = kwargs.get("update_fields")
        fields = MentorProfile.USER_FIELDS if fields is None else set(fields)
        if adding or not fields & MentorProfile.USER_FIELDS:
            return  # a new person has no mentor profile yet
        profile = MentorProfile.objects.filter(user=self).first()
        if profile is not None and (changed := profile.follow_user(self)):
            profile.save(update_fields=changed)

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
    # Copies of the user's names and active flag (written by MentorProfile.save when the
    # profile is created and by User.save when they change: follow_user), so that the
    # directory's order and count come from the `mentor_directory` index, not the users.
    user_first_name = models.CharField(max_length=150, default="", editable=False)
    user_last_name = models.CharField(max_length=150, default="", editable=False)
    user_is_active = models.BooleanField(default=True, editable=False)
    # What the directory's search and skill filter compare with (`search_text` and
    # `skill_key` below), written by save from the fields they are made of.
    search_text = models.TextField(default="", editable=False)
    skill_key = models.CharField(max_length=600, default="", editable=False)

    USER_FIELDS = frozenset({"first_name", "last_name", "is_active"})
    SEARCHED_FIELDS = frozenset({"user_first_name", "user_last_name", "headline", "skills"})
    # What changes the directory's skill filter (SkillOptions).
    LISTING_FIELDS = frozenset({"skills", "status", "user_is_active"})

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
            # The directory (docs/PRODUCT.md §8.2): the listed mentors in its order, so a
            # page is a walk of this index and the count a scan of it.
            models.Index(
                models.F("rating_avg").desc(),
                models.F("rating_count").desc(),
                Lower("user_last_name"),
                Lower("user_first_name"),
                "id",
                name="mentor_directory",
                condition=models.Q(status=ApplicationStatus.APPROVED, user_is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.headline}"

    def save(self, **kwargs) -> None:
        if self._state.adding or kwargs.get("update_fields") is None:
            self.follow_user(self.user)  # new, or all saved (Django's admin may change user)
        self.set_search_keys()
        fields = kwargs.get("update_fields")
        if fields is not None and self.SEARCHED_FIELDS & set(fields):
            kwargs["update_fields"] = {*fields, "search_text", "skill_key"}
        super().save(**kwargs)
        if fields is None or self.LISTING_FIELDS & set(fields):
            SkillOptions.refresh()

    def set_search_keys(self) -> None:
        self.search_text = search_text(
            self.user_first_name, self.user_last_name, self.headline, self.skills
        )
        self.skill_key = skill_key(self.skills)

    def follow_user(self, user: User) -> list[str]:
        """Copy the user's fields the directory reads (see user_first_name); the names of
        the profile's fields that changed."""
        copies = {
            "user_first_name": user.first_name,
            "user_last_name": user.last_name,
            "user_is_active": user.is_active,
        }
        changed = [field for field, value in copies.items() if getattr(self, field) != value]
        for field in changed:
            setattr(self, field, copies[field])
        return changed

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


MAX_SKILL_OPTIONS = 60


def search_text(first_name: str, last_name: str, headline: str, skills: str) -> str:
    """What the directory's search looks for a word in: the names, headline and skills,
    lower-cased, one per line (a word, having no spaces, never spans two of them)."""
    return "\n".join((first_name, last_name, headline, skills)).lower()


def skill_key(skills: str) -> str:
    """ "Python, Machine  learning" → ",python,machine learning,": a whole skill, lower-cased,
    matches ",<skill>," (the directory's skill filter)."""
    return ",".join(["", *(" ".join(skill.split()).lower() for skill in skills.split(",")), ""])


def most_named_skills(skill_lists, limit: int = MAX_SKILL_OPTIONS) -> list[str]:
    """The `limit` skills named most often in `skill_lists` (comma-separated, in the order
    of the mentors' ids), ignoring case; each spelled as the first mentor to name it spells
    it, ties kept in that order; sorted by name."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for skills in skill_lists:
        for skill in skills.split(","):
            skill = " ".join(skill.split())
            if skill:
                key = skill.casefold()
                counts[key] += 1
                spelling.setdefault(key, skill)
    top = [key for key, _n in counts.most_common(limit)]
    return sorted((spelling[key] for key in top), key=str.casefold)


class SkillOptions(models.Model):
    """The directory's skill filter (docs/PRODUCT.md §8.2): the skills listed mentors name
    most often, one row, written by `refresh` whenever a profile's skills or listing change
    (MentorProfile.save, User.save, deleting in Django's admin), so that a directory page
    reads 60 names instead of counting every listed mentor's skills."""

    names = models.JSONField(default=list)

    def __str__(self) -> str:
        return ", ".join(self.names)

    @classmethod
    def current(cls) -> list[str]:
        return cls.objects.filter(pk=1).values_list("names", flat=True).first() or []

    @classmethod
    def refresh(cls) -> None:
        with transaction.atomic():
            # The row lock queues writers: each counts after the one before has committed.
            options, _created = cls.objects.select_for_update().get_or_create(pk=1)
            listed = MentorProfile.objects.filter(
                status=ApplicationStatus.APPROVED, user_is_active=True
            )
            options.names = most_named_skills(
                listed.order_by("id").values_list("skills", flat=True).iterator()
            )
            options.save(update_fields=["names"])


class ApiToken(models.Model):
    """A personal API token (docs/PRODUCT.md §11): it acts with exactly its owner's rights.

    Only the SHA-256 of the token is kept: the token itself is shown once, when it is
    created, and cannot be read back. A token carries 256 random bits, so a plain hash (no
    salt, no slow hash) is enough and lets a request find its token by one index lookup.
    `prefix` (the first characters) lets its owner tell tokens apart in lists."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="api_token_owner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
