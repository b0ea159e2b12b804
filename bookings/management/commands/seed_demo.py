"""Idempotent demo data (SPEC §6): the three demo logins, more people, and sessions."""

import random
import secrets
from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile, User
from availability.models import WeeklyAvailability
from bookings.models import MentoringSession, PaymentStatus, Status
from payments.services import bulk_create_for_sessions

MAX_SESSIONS = 1_000_000
BULK_MENTOR_DOMAIN = "mentors.example.com"
BULK_MENTEE_DOMAIN = "mentees.example.com"
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Guido",
    "Barbara",
    "Ken",
    "Radia",
    "Dennis",
    "Frances",
    "Edsger",
    "Katherine",
    "Donald",
    "Hedy",
    "Tim",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "van Rossum",
    "Liskov",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Johnson",
    "Knuth",
    "Lamarr",
]
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "UTC",
    "America/Los_Angeles",
    "Australia/Sydney",
]
SKILLS = [
    "Python",
    "Django",
    "JavaScript",
    "React",
    "Go",
    "Rust",
    "SQL",
    "System design",
    "Career growth",
    "Interview prep",
    "DevOps",
    "Machine learning",
]


def positive_or_zero(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"--sessions must be a whole number; got {value!r}.") from None
    if not 0 <= number <= MAX_SESSIONS:
        raise CommandError(f"--sessions must be between 0 and {MAX_SESSIONS}; got {number}.")
    return number


def _create_sessions(sessions: list[MentoringSession]) -> None:
    """Sessions and their payment records, together (bulk: fast enough for benchmarks)."""
    with transaction.atomic():
        bulk_create_for_sessions(MentoringSession.objects.bulk_create(sessions))


class Command(BaseCommand):
    help = "Create demo accounts and sessions (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo account (default: random)")
        parser.add_argument(
            "--sessions",
            type=positive_or_zero,
            default=0,
            help="also create this many sessions between generated people",
        )

    def handle(self, *, password: str | None, sessions: int, **options):
        if password is not None and len(password) < 4:
            raise CommandError("--password must have at least 4 characters.")
        password = password or secrets.token_urlsafe(9)
        hashed = make_password(password)
        with transaction.atomic():
            admin, mentor, mentee = self._core_people(hashed)
            self._core_sessions(mentor, mentee)
            others = self._more_people(hashed, mentors=5, mentees=10, tag="demo")
            self._weekday_hours()
        if sessions:
            self._bulk_sessions(hashed, sessions)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/accounts/login/")
        )
        self.stdout.write(f"  admin:  admin@example.com  / {password}")
        self.stdout.write(f"  mentor: mentor@example.com / {password}")
        self.stdout.write(f"  mentee: mentee@example.com / {password}")
        self.stdout.write(f"  ({others} more demo mentors and mentees share the same password)")

    def _weekday_hours(self) -> None:
        """Mon–Fri 09:00–17:00 (each mentor's own zone) for demo mentors without any hours
        yet, so the demo's booking pages offer free times."""
        mentors = User.objects.filter(
            email__in=["mentor@example.com"]
            + [f"demo-mentor{i}@{BULK_MENTOR_DOMAIN}" for i in range(1, 6)],
            mentor_profile__status=ApplicationStatus.APPROVED,
            weekly_availability__isnull=True,
        ).values_list("id", flat=True)
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(
                mentor_id=mentor_id, weekday=day, start_time=time(9), end_time=time(17)
            )
            for mentor_id in mentors
            for day in range(5)
        )

    def _person(self, email, first, last, zone, hashed, **extra) -> User:
        user, _ = User.objects.update_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "time_zone": zone,
                "password": hashed,
                "is_active": True,
                **extra,
            },
        )
        return user

    def _core_people(self, hashed):
        admin = self._person(
            "admin@example.com", "Alex", "Admin", "UTC", hashed, is_staff=True, is_superuser=True
        )
        mentor = self._person("mentor@example.com", "Jane", "Smith", "Europe/Berlin", hashed)
        MentorProfile.objects.update_or_create(
            user=mentor,
            defaults={
                "headline": "Senior Python engineer",
                "bio": "Ten years of Django and APIs.",
                "skills": "Python, Django, System design",
                "hourly_rate": Decimal("60.00"),
                "status": ApplicationStatus.APPROVED,
            },
        )
        mentee = self._person("mentee@example.com", "John", "Doe", "America/New_York", hashed)
        return admin, mentor, mentee

    def _core_sessions(self, mentor, mentee) -> None:
        if MentoringSession.objects.filter(mentor=mentor, mentee=mentee).exists():
            return
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        day = timedelta(days=1)
        common = {"mentor": mentor, "mentee": mentee, "amount": Decimal("60.00")}
        rows = [
            MentoringSession(
                start=now + 2 * day + timedelta(hours=3),
                status=Status.PENDING,
                notes="I'd like help structuring a Django project.",
                **common,
            ),
            MentoringSession(
                start=now + 4 * day,
                status=Status.PENDING,
                duration_minutes=30,
                amount=Decimal("30.00"),
                notes="Code review of my first PR.",
                mentor=mentor,
                mentee=mentee,
            ),
            MentoringSession(
                start=now + 6 * day + timedelta(hours=5),
                status=Status.PENDING,
                duration_minutes=90,
                amount=Decimal("90.00"),
                notes="Mock system design interview.",
                mentor=mentor,
                mentee=mentee,
            ),
            MentoringSession(
                start=now + 3 * day,
                status=Status.CONFIRMED,
                admin_provided_link="https://meet.google.com/abc-defg-hij",
                link_provided_at=now - day,
                confirmed_at=now - day,
                ics_sequence=1,
                payment_status=PaymentStatus.PAID,
                notes="Career chat.",
                **common,
            ),
            MentoringSession(
                start=now - 7 * day,
                status=Status.COMPLETED,
                completed_at=now - 7 * day,
                admin_provided_link="https://meet.google.com/xyz-wvut-srq",
                link_provided_at=now - 9 * day,
                confirmed_at=now - 9 * day,
                ics_sequence=1,
                payment_status=PaymentStatus.PAID,
                **common,
            ),
            MentoringSession(
                start=now - 3 * day,
                status=Status.CANCELLED,
                cancelled_at=now - 4 * day,
                cancellation_reason="Mentor unavailable that day.",
                **common,
            ),
        ]
        _create_sessions(rows)

    def _more_people(self, hashed, *, mentors: int, mentees: int, tag: str) -> int:
        """Create `mentors` approved mentors and `mentees` mentees, if not there yet."""
        created = 0
        for kind, count, domain in (
            ("mentor", mentors, BULK_MENTOR_DOMAIN),
            ("mentee", mentees, BULK_MENTEE_DOMAIN),
        ):
            emails = [f"{tag}-{kind}{i}@{domain}" for i in range(1, count + 1)]
            existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
            new = [
                User(
                    email=email,
                    password=hashed,
                    first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                    last_name=LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)],
                    time_zone=ZONES[i % len(ZONES)],
                )
                for i, email in enumerate(emails)
                if email not in existing
            ]
            User.objects.bulk_create(new, batch_size=2000)
            if kind == "mentor" and new:
                users = User.objects.filter(email__in=[u.email for u in new]).only("id")
                MentorProfile.objects.bulk_create(
                    [
                        MentorProfile(
                            user=u,
                            headline=f"{SKILLS[u.id % len(SKILLS)]} mentor",
                            skills=", ".join(random.sample(SKILLS, 3)),
                            hourly_rate=Decimal(40 + (u.id % 8) * 10),
                            status=ApplicationStatus.APPROVED,
                        )
                        for u in users
                    ],
                    batch_size=2000,
                )
            created += len(new)
        return mentors + mentees

    def _bulk_sessions(self, hashed, total: int) -> None:
        mentor_count, mentee_count = max(5, total // 50), max(10, total // 5)
        self._more_people(hashed, mentors=mentor_count, mentees=mentee_count, tag="bulk")
        mentor_ids = list(
            User.objects.filter(email__startswith="bulk-mentor", email__endswith=BULK_MENTOR_DOMAIN)
            .order_by("id")
            .values_list("id", flat=True)[:mentor_count]
        )
        mentee_ids = list(
            User.objects.filter(email__startswith="bulk-mentee", email__endswith=BULK_MENTEE_DOMAIN)
            .order_by("id")
            .values_list("id", flat=True)[:mentee_count]
        )
        existing = MentoringSession.objects.filter(mentor_id__in=mentor_ids).count()
        missing = total - existing
        if missing <= 0:
            self.stdout.write(f"{existing} generated sessions already exist.")
            return
        rng = random.Random(existing)
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        batch: list[MentoringSession] = []
        for i in range(missing):
            # A different two-hour block for each of a mentor's sessions (a 1093-step walk
            # through the 2,880 blocks of these 240 days): one mentor's sessions never
            # overlap, which PostgreSQL's exclusion constraint refuses (bookings/0002).
            n = existing + i
            block = (n // len(mentor_ids) * 1093 + n % len(mentor_ids) * 389) % 2880
            offset_hours = -24 * 180 + 2 * block
            start = now + timedelta(hours=offset_hours)
            if offset_hours < 0:
                status = rng.choices(
                    [Status.COMPLETED, Status.CANCELLED, Status.CONFIRMED], weights=[75, 20, 5]
                )[0]
            else:
                status = rng.choices(
                    [Status.PENDING, Status.CONFIRMED, Status.CANCELLED], weights=[40, 50, 10]
                )[0]
            code = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=10))
            link = (
                f"https://meet.google.com/{code[:3]}-{code[3:7]}-{code[7:]}"
                if status in (Status.CONFIRMED, Status.COMPLETED)
                else ""
            )
            duration = rng.choice([30, 45, 60, 90])
            batch.append(
                MentoringSession(
                    mentor_id=mentor_ids[(existing + i) % len(mentor_ids)],
                    mentee_id=mentee_ids[rng.randrange(len(mentee_ids))],
                    start=start,
                    duration_minutes=duration,
                    status=status,
                    admin_provided_link=link,
                    link_provided_at=start - timedelta(days=1) if link else None,
                    amount=Decimal(duration),
                    cancellation_reason="Schedule conflict." if status == Status.CANCELLED else "",
                    payment_status=PaymentStatus.PAID
                    if status == Status.COMPLETED
                    else PaymentStatus.PENDING,
                )
            )
            if len(batch) == 5000:
                _create_sessions(batch)
                batch.clear()
        _create_sessions(batch)
        self.stdout.write(f"Created {missing} generated sessions ({total} in all).")
