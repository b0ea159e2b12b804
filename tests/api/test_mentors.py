"""GET /api/v1/mentors/ (the directory) and GET /api/v1/mentors/{id}/free-times: what the
pages list, for anyone with a token (docs/PRODUCT.md §11.1)."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApplicationStatus
from availability.slots import free_slots
from mentors.selectors import DirectoryFilters, directory
from tests.api.conftest import ApiClient, problem_of, token_for
from tests.factories import MentorFactory, MentorProfileFactory, UserFactory


@pytest.fixture
def api(db) -> ApiClient:
    return ApiClient(token_for(UserFactory()))


def _walk(api: ApiClient, url: str) -> list[int]:
    ids = []
    while url:
        body = api.get(url).json()
        ids += [mentor["id"] for mentor in body["results"]]
        url = body["next"]
    return ids


def test_the_directory_lists_every_listed_mentor_once_in_its_order(api):
    for _ in range(30):
        MentorFactory()
    MentorProfileFactory(status=ApplicationStatus.PENDING)  # not listed

    ids = _walk(api, "/api/v1/mentors/")

    assert ids == [profile.user_id for profile in directory(DirectoryFilters())]
    assert len(ids) == 30


def test_a_mentor_as_the_api_shows_them(api):
    jane = MentorFactory(first_name="Jane", last_name="Smith")

    (shown,) = api.get("/api/v1/mentors/", {"q": "jane"}).json()["results"]

    assert shown == {
        "id": jane.pk,
        "name": "Jane Smith",
        "headline": "Senior engineer",
        "skills": ["Python", "Django"],
        "hourly_rate": "60.00",
        "currency": "USD",
        "default_session_minutes": 60,
        "rating": None,
        "rating_count": 0,
    }


def test_the_directory_costs_the_same_queries_for_1_and_25_mentors(api):
    counts = []
    for total in (1, 25):
        while len(directory(DirectoryFilters())) < total:
            MentorFactory()
        api.get("/api/v1/mentors/")
        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/mentors/")
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.fixture
def jane(world):
    return world.users["mentor"]


def test_free_times_are_the_booking_pages(jane, api):
    expected = free_slots(jane, duration_minutes=60)

    body = api.get(f"/api/v1/mentors/{jane.pk}/free-times").json()

    assert body["mentor"] == jane.pk
    assert body["duration_minutes"] == 60
    starts = [slot["start"] for slot in body["results"]]
    assert starts == [s.astimezone(UTC).isoformat().replace("+00:00", "Z") for s in expected]
    assert body["results"][0]["end"] == (expected[0] + timedelta(minutes=60)).astimezone(
        UTC
    ).isoformat().replace("+00:00", "Z")


def test_free_times_within_a_range(jane, api):
    expected = free_slots(jane, duration_minutes=30)
    after, before = expected[3], expected[10]

    body = api.get(
        f"/api/v1/mentors/{jane.pk}/free-times",
        {
            "start_after": after.isoformat(),
            "start_before": before.isoformat(),
            "duration_minutes": 30,
        },
    ).json()

    assert len(body["results"]) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"duration_minutes": 7}, "duration_minutes"),
        ({"start_after": "2030-01-01T00:00:00"}, "start_after"),
        (
            {"start_after": "2030-01-02T00:00:00Z", "start_before": "2030-01-01T00:00:00Z"},
            "start_before",
        ),
        (
            {"start_after": "2030-01-01T00:00:00Z", "start_before": "2031-01-01T00:00:00Z"},
            "start_before",
        ),
    ],
)
def test_a_bad_range_or_length_is_422(query, field, jane, api):
    response = api.get(f"/api/v1/mentors/{jane.pk}/free-times", query)

    assert response.status_code == 422
    assert field in problem_of(response)["errors"]


def test_an_unlisted_mentor_has_no_free_times(api):
    pending = MentorProfileFactory(status=ApplicationStatus.PENDING).user

    response = api.get(f"/api/v1/mentors/{pending.pk}/free-times")

    assert response.status_code == 404
    problem_of(response)


def test_a_deactivated_mentor_cannot_be_booked(api):
    mentor = MentorFactory()
    mentor.is_active = False
    mentor.save()

    response = api.post(
        "/api/v1/bookings",
        {"mentor": mentor.pk, "start": "2030-01-15T13:00:00Z", "duration_minutes": 60},
    )

    assert response.status_code == 422
    assert problem_of(response)["errors"] == {"mentor": ["No mentor with this id takes bookings."]}
    assert not mentor.sessions_as_mentor.exists()
