"""Idempotent demo data (docs/PRODUCT.md §6.5): the three demo logins, more people, and sessions."""

import heapq
import random
import secrets
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import (
    BOOKABLE_MINUTES,
    ApplicationStatus,
    MentorProfile,
    SkillOptions,
    User,
)
from accounts.services import create_api_token, revoke_api_token
from availability.models import WeeklyAvailability
from bookings.models import MentoringSession, PaymentStatus, Status
from bookings.selectors import ACTIVE
from common.bulk import bulk_insert
from ops.jobs import analyze
from payments.services import bulk_create_for_sessions

MAX_SESSIONS = 1_000_000
DEMO_TOKEN_NAME = "Demo token"
BULK_MENTOR_DOMAIN = "mentors.example.com"
BULK_MENTEE_DOMAIN = "mentees.example.com"
# A benchmark needs one heavy mentor and one heavy mentee; it finds them by these emails.
BUSY_MENTOR_EMAIL = f"bulk-mentor1@{BULK_MENTOR_DOMAIN}"
BUSY_MENTEE_EMAIL = f"bulk-mentee1@{BULK_MENTEE_DOMAIN}"
BUSY_MENTOR_SESSIONS = 2000  # at most, and never more than --sessions / 50
BUSY_MENTEE_SESSIONS = 500  # at most, and never more than --sessions / 200
# Generated sessions start on two-hour slots of a 240-day window: 180 days back, 60 ahead.
SLOT = timedelta(hours=2)
SLOTS_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
WINDOW_SLOTS = 240 * 12
PAST_SLOTS = 180 * 12
# The demo's other mentors and mentees (demo-mentor1@…, demo-mentee1@…, in this order),
# each with a name of their own, so that lists and searches in the demo tell them apart.
# (first name, last name, zone, headline, skills, hourly rate)
DEMO_MENTORS = [
    ("Priya", "Raman", "Asia/Kolkata", "Staff backend engineer", "Python, Django, SQL", 80),
    ("Carlos", "Mendoza", "America/Los_Angeles", "Frontend lead", "JavaScript, React", 70),
    ("Amara", "Okafor", "UTC", "Engineering manager", "Career growth, Interview prep", 90),
    ("Lukas", "Becker", "Europe/Berlin", "Site reliability engineer", "Go, DevOps, SQL", 65),
    ("Mei", "Tanaka", "Australia/Sydney", "Applied ML engineer", "Python, Machine learning", 85),
]
DEMO_MENTEES = [
    ("Sofia", "Rossi"),
    ("Daniel", "Kim"),
    ("Fatima", "Haddad"),
    ("Noah", "Fischer"),
    ("Aisha", "Bello"),
    ("Mateo", "Silva"),
    ("Hannah", "Novak"),
    ("Arjun", "Mehta"),
    ("Chloe", "Dubois"),
    ("Omar", "Farouk"),
]
# Generated people (--sessions) take every pairing of a first and a last name in turn (the
# lists' lengths have no common factor), so a full name is shared as in a real population:
# by about 6 people at 100,000 sessions (22,000 people), 56 at 1,000,000 (220,000). A first
# name alone ("Ada") is shared by hundreds: a search over more people than the dashboard
# takes. docs/benchmarks.md measures both.
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
    "Anita",
    "Bjarne",
    "Carol",
    "Dorothy",
    "Edgar",
    "Fernando",
    "Gladys",
    "Hal",
    "Ivan",
    "Jean",
    "Karen",
    "Leslie",
    "Mary",
    "Niklaus",
    "Ole",
    "Pat",
    "Rasmus",
    "Shafi",
    "Sophie",
    "Tony",
    "Ursula",
    "Vint",
    "Whitfield",
    "Xiaowei",
    "Yukihiro",
    "Zhores",
    "Adele",
    "Bob",
    "Cynthia",
    "David",
    "Evelyn",
    "Fran",
    "Gordon",
    "Herman",
    "Irene",
    "Joan",
    "Kathleen",
    "Larry",
    "Manuel",
    "Nancy",
    "Olga",
    "Peter",
    "Roberta",
    "Stephen",
    "Susan",
    "Wendy",
    "Yoshua",
    "Annie",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Rossum",
    "Liskov",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Johnson",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Borg",
    "Stroustrup",
    "Shaw",
    "Vaughan",
    "Codd",
    "Corbató",
    "Tuttle",
    "Abelson",
    "Sutherland",
    "Sammet",
    "Wirth",
    "Dahl",
    "Lerdorf",
    "Goldwasser",
    "Wilson",
    "Hoare",
    "Burns",
    "Cerf",
    "Diffie",
    "Wang",
    "Matsumoto",
    "Alferov",
    "Goldberg",
    "Metcalfe",
    "Dwork",
    "Clark",
    "Estrin",
    "Bartik",
    "Moore",
    "Hollerith",
    "Shannon",
    "Clarke",
    "Booth",
    "Ellison",
    "Blum",
    "Leveson",
    "Lynch",
    "Norvig",
    "Eckert",
    "Ochoa",
    "Pike",
    "Lamport",
    "Kahan",
    "Bengio",
    "Kernighan",
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


def _slot_of(instant: datetime) -> int:
    """The number of the two-hour slot holding `instant`, on a grid fixed in time, so that
    runs at different hours (a top-up the next day) put sessions on the same slots."""
    return (instant - SLOTS_EPOCH) // SLOT


def _mentor_plan(
    mentor_ids: list[int], counts: dict[int, int], busy_id: int, busy_new: int, missing: int
) -> list[tuple[int, int, int]]:
    """(mentor id, the mentor's position k, the mentor's session number j) for each of the
    `missing` new sessions: `busy_new` for the busy mentor, the rest round-robin over the
    others, the least booked first (from nothing, that is plain round-robin; on a top-up
    it evens out the newly added mentors)."""
    plan = [
        (busy_id, mentor_ids.index(busy_id), counts.get(busy_id, 0) + j) for j in range(busy_new)
    ]
    queue = [(counts.get(m, 0), k, m) for k, m in enumerate(mentor_ids) if m != busy_id]
    heapq.heapify(queue)
    for _ in range(missing - busy_new):
        j, k, mentor_id = queue[0]
        heapq.heapreplace(queue, (j + 1, k, mentor_id))
        plan.append((mentor_id, k, j))
    return plan


def _create_sessions(sessions: list[MentoringSession]) -> None:
    """Sessions and their payment records, together (bulk: fast enough for benchmarks)."""
    with transaction.atomic():
        bulk_create_for_sessions(bulk_insert(MentoringSession, sessions))


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
            others = self._demo_people(hashed)
            self._weekday_hours()
            api_token = self._demo_api_token(admin)
        busy = self._bulk_sessions(hashed, sessions) if sessions else None
        analyze()  # fresh planner statistics after a bulk load (ops/jobs.py says why)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/accounts/login/")
        )
        self.stdout.write(f"  admin:  admin@example.com  / {password}")
        self.stdout.write(f"  mentor: mentor@example.com / {password}")
        self.stdout.write(f"  mentee: mentee@example.com / {password}")
        self.stdout.write(f"  ({others} more demo mentors and mentees share the same password)")
        self.stdout.write(f"  API token of the admin (shown this once): {api_token}")
        if busy is not None:
            self.stdout.write(
                f"Benchmark accounts: mentor {BUSY_MENTOR_EMAIL} ({busy[0]} sessions), "
                f"mentee {BUSY_MENTEE_EMAIL} ({busy[1]} sessions)."
            )

    def _demo_api_token(self, admin: User) -> str:
        """A new API token for the admin, to try the API with (docs/API.md); the one an
        earlier run made is revoked, since only its hash was kept and it cannot be shown
        again."""
        for token in admin.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True):
            revoke_api_token(admin, token.pk)
        return create_api_token(admin, DEMO_TOKEN_NAME).raw

    def _weekday_hours(self) -> None:
        """Mon–Fri 09:00–17:00 (each mentor's own zone) for demo mentors without any hours
        yet, so the demo's booking pages offer free times."""
        mentors = User.objects.filter(
            email__in=["mentor@example.com"]
            + [f"demo-mentor{i}@{BULK_MENTOR_DOMAIN}" for i in range(1, len(DEMO_MENTORS) + 1)],
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

    def _demo_people(self, hashed) -> int:
        """The demo's other mentors (approved, each with a profile of their own) and
        mentees; running again puts their names and the password back."""
        for i, (first, last, zone, headline, skills, rate) in enumerate(DEMO_MENTORS, 1):
            mentor = self._person(f"demo-mentor{i}@{BULK_MENTOR_DOMAIN}", first, last, zone, hashed)
            MentorProfile.objects.update_or_create(
                user=mentor,
                defaults={
                    "headline": headline,
                    "skills": skills,
                    "hourly_rate": Decimal(rate),
                    "status": ApplicationStatus.APPROVED,
                },
            )
        for i, (first, last) in enumerate(DEMO_MENTEES, 1):
            zone = ZONES[i % len(ZONES)]
            self._person(f"demo-mentee{i}@{BULK_MENTEE_DOMAIN}", first, last, zone, hashed)
        return len(DEMO_MENTORS) + len(DEMO_MENTEES)

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
                    last_name=LAST_NAMES[i % len(LAST_NAMES)],
                    time_zone=ZONES[i % len(ZONES)],
                )
                for i, email in enumerate(emails)
                if email not in existing
            ]
            bulk_insert(User, new)
            if kind == "mentor" and new:
                users = User.objects.filter(email__in=[u.email for u in new]).only(
                    "id", *MentorProfile.USER_FIELDS
                )
                profiles = [
                    MentorProfile(
                        user=u,
                        headline=f"{SKILLS[u.id % len(SKILLS)]} mentor",
                        skills=", ".join(random.sample(SKILLS, 3)),
                        hourly_rate=Decimal(40 + (u.id % 8) * 10),
                        status=ApplicationStatus.APPROVED,
                    )
                    for u in users
                ]
                for profile in profiles:  # what MentorProfile.save would write
                    profile.follow_user(profile.user)
                    profile.set_search_keys()
                bulk_insert(MentorProfile, profiles)
                SkillOptions.refresh()  # bulk_insert saves no profile: count them now
            created += len(new)
        return mentors + mentees

    def _bulk_sessions(self, hashed, total: int) -> tuple[int, int]:
        """Generated sessions up to `total` in all; returns how many sessions the busy mentor
        and the busy mentee have."""
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
        busy_mentor = User.objects.get(email=BUSY_MENTOR_EMAIL)
        busy_mentee = User.objects.get(email=BUSY_MENTEE_EMAIL)
        counts: dict[int, int] = dict(
            MentoringSession.objects.filter(mentor_id__in=mentor_ids)
            .order_by()
            .values_list("mentor_id")
            .annotate(Count("id"))
        )
        # The busy mentee's earlier sessions, as slots of the 240-day cycle (the `residue`
        # below): new sessions of theirs keep off them.
        busy_mentee_slots = [
            _slot_of(start) % WINDOW_SLOTS
            for start in MentoringSession.objects.filter(
                mentee=busy_mentee, mentor_id__in=mentor_ids
            ).values_list("start", flat=True)
        ]
        existing = sum(counts.values())
        missing = total - existing
        if missing <= 0:
            self.stdout.write(f"{existing} generated sessions already exist.")
            return counts.get(busy_mentor.id, 0), len(busy_mentee_slots)
        # Other mentees' pending and confirmed sessions, as (mentee, slot of the cycle): a
        # mentee never gets two at once (PostgreSQL refuses it, bookings/0009).
        held = {
            (mentee_id, _slot_of(start) % WINDOW_SLOTS)
            for mentee_id, start in MentoringSession.objects.filter(
                mentor_id__in=mentor_ids, status__in=ACTIVE
            )
            .exclude(mentee=busy_mentee)
            .values_list("mentee_id", "start")
        }
        busy_mentor_new = min(
            missing, max(0, min(BUSY_MENTOR_SESSIONS, total // 50) - counts.get(busy_mentor.id, 0))
        )
        busy_mentee_new = min(
            missing, max(0, min(BUSY_MENTEE_SESSIONS, total // 200) - len(busy_mentee_slots))
        )
        plan = _mentor_plan(mentor_ids, counts, busy_mentor.id, busy_mentor_new, missing)
        other_mentee_ids = [m for m in mentee_ids if m != busy_mentee.id]
        taken = set(busy_mentee_slots)
        still_needed, stride, next_pick = busy_mentee_new, missing // max(1, busy_mentee_new), 0
        rng = random.Random(existing)
        now = timezone.now()
        first_slot = _slot_of(now) - PAST_SLOTS
        batch: list[MentoringSession] = []
        for i, (mentor_id, k, j) in enumerate(plan):
            # The j-th session of the k-th mentor goes to slot j*1093 + k*389 (mod 2,880): a
            # 1093-step walk through the 2,880 two-hour slots of these 240 days, so one
            # mentor's sessions never overlap, which PostgreSQL's exclusion constraint
            # refuses (bookings/0002). j counts the mentor's earlier sessions too, and the
            # slots sit on a fixed grid, so a later top-up cannot overlap them either.
            residue = (j * 1093 + k * 389) % WINDOW_SLOTS
            start = SLOTS_EPOCH + (first_slot + (residue - first_slot) % WINDOW_SLOTS) * SLOT
            # The busy mentee takes every `stride`-th session whose slot it has free (so its
            # sessions never overlap either), and any session left once they run short.
            if still_needed and (
                (i >= next_pick and residue not in taken) or missing - i <= still_needed
            ):
                mentee_id = busy_mentee.id
                taken.add(residue)
                still_needed -= 1
                next_pick = i + stride
            else:
                mentee_id = other_mentee_ids[rng.randrange(len(other_mentee_ids))]
            if start < now:
                status = rng.choices(
                    [Status.COMPLETED, Status.CANCELLED, Status.CONFIRMED], weights=[75, 20, 5]
                )[0]
            else:
                status = rng.choices(
                    [Status.PENDING, Status.CONFIRMED, Status.CANCELLED], weights=[40, 50, 10]
                )[0]
            if mentee_id != busy_mentee.id and status in ACTIVE:
                # A slot holds at most one session per mentor, and there are more mentees
                # than mentors (ten times as many at scale): a free one is a few draws away.
                while (mentee_id, residue) in held:
                    mentee_id = other_mentee_ids[rng.randrange(len(other_mentee_ids))]
                held.add((mentee_id, residue))
            code = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=10))
            link = (
                f"https://meet.google.com/{code[:3]}-{code[3:7]}-{code[7:]}"
                if status in (Status.CONFIRMED, Status.COMPLETED)
                else ""
            )
            duration = rng.choice(BOOKABLE_MINUTES)
            batch.append(
                MentoringSession(
                    mentor_id=mentor_id,
                    mentee_id=mentee_id,
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
        return (
            counts.get(busy_mentor.id, 0) + busy_mentor_new,
            len(busy_mentee_slots) + busy_mentee_new,
        )
