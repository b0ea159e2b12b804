"""Personal API tokens (docs/PRODUCT.md §11): made, named and revoked at
/account/api-tokens/; shown once; only a hash stored; "last used" recorded at most once a
minute; a revoked token, or one whose owner is inactive, is refused; a limit per token."""

import hashlib
from datetime import timedelta

from django.apps import apps
from django.db import connection

from accounts.models import ApiToken
from accounts.services import API_TOKEN_PREFIX, create_api_token
from ops.models import RateLimitLog
from tests.api.conftest import ApiClient, problem_of
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.helpers import visible_text
from tests.security.conftest import CsrfClient

PAGE = "/account/api-tokens/"


def _created(response) -> str:
    """The token the creation page shows."""
    text = response.content.decode()
    start = text.index(API_TOKEN_PREFIX, text.index('data-testid="new-token"'))
    return text[start : text.index("<", start)]


def _every_text_in_the_database() -> str:
    """Every row of every table, as text: whatever the database holds anywhere."""
    dump = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f'SELECT * FROM "{model._meta.db_table}"')  # noqa: S608
            dump += [repr(row) for row in cursor.fetchall()]
    return "\n".join(dump)


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(mentee):
    client = CsrfClient(mentee)

    response = client.post(PAGE, {"name": "Slack bot"})

    assert response.status_code == 201
    raw = _created(response)
    assert raw.startswith("cmh_") and len(raw) == 4 + 43
    token = ApiToken.objects.get()
    assert (token.owner, token.name) == (mentee, "Slack bot")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    assert raw not in _every_text_in_the_database()  # nor in the session, nor anywhere
    again = client.get(PAGE)
    assert raw not in again.content.decode()
    assert "Slack bot" in visible_text(again.content.decode())
    assert f"{token.prefix}…" in again.content.decode()


def test_the_new_token_works_at_once(mentee):
    response = CsrfClient(mentee).post(PAGE, {"name": "HR sync"})

    assert ApiClient(_created(response)).get("/api/v1/sessions/").status_code == 200


def test_a_token_needs_a_name(mentee):
    response = CsrfClient(mentee).post(PAGE, {"name": "  "})

    assert response.status_code == 400
    assert "Give the token a name." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_creating_a_token_needs_the_csrf_token(mentee):
    response = CsrfClient(mentee).post(PAGE, {"name": "Slack bot"}, csrf=False)

    assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_revoking_needs_the_csrf_token(mentee):
    token = create_api_token(mentee, "Slack bot").token

    response = CsrfClient(mentee).post(f"{PAGE}{token.pk}/revoke/", csrf=False)

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_needs_a_login(client, db):
    assert client.get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"


def test_a_revoked_token_is_401(mentee):
    new = create_api_token(mentee, "Slack bot")
    api = ApiClient(new.raw)
    assert api.get("/api/v1/sessions/").status_code == 200

    response = CsrfClient(mentee).post(f"{PAGE}{new.token.pk}/revoke/")

    assert response["Location"] == PAGE
    refused = api.get("/api/v1/sessions/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    problem_of(refused)
    assert "Revoked" in visible_text(client_for(mentee).get(PAGE).content.decode())


def test_someone_elses_token_is_404_and_stays_live(mentee, other_mentee):
    new = create_api_token(mentee, "Calendar bridge")

    response = CsrfClient(other_mentee).post(f"{PAGE}{new.token.pk}/revoke/")

    assert response.status_code == 404
    new.token.refresh_from_db()
    assert new.token.revoked_at is None
    assert ApiClient(new.raw).get("/api/v1/sessions/").status_code == 200
    assert "Calendar bridge" not in client_for(other_mentee).get(PAGE).content.decode()


def test_an_inactive_owners_token_is_401(mentee):
    raw = create_api_token(mentee, "Slack bot").raw
    mentee.is_active = False
    mentee.save()

    assert ApiClient(raw).get("/api/v1/sessions/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(mentee, clock):
    new = create_api_token(mentee, "Slack bot")
    api = ApiClient(new.raw)
    first = clock.now

    api.get("/api/v1/sessions/")
    clock.advance(timedelta(seconds=59))
    api.get("/api/v1/sessions/")

    new.token.refresh_from_db()
    assert new.token.last_used_at == first
    later = clock.advance(timedelta(seconds=1))
    api.get("/api/v1/sessions/")
    new.token.refresh_from_db()
    assert new.token.last_used_at == later


def test_the_rate_limit_is_per_token_counted_in_the_database(mentee, settings, clock):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    new = create_api_token(mentee, "Slack bot")
    # Two clients with one token (two processes, as far as the count can tell).
    first, second = ApiClient(new.raw), ApiClient(new.raw)
    for client in (first, second, first):
        assert client.get("/api/v1/sessions/").status_code == 200
    clock.advance(timedelta(seconds=20))

    refused = second.get("/api/v1/sessions/")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert "at most 3 a minute" in problem_of(refused)["detail"]
    log = RateLimitLog.objects.get(scope="api")
    assert (log.key, len(log.attempts)) == (f"token:{new.token.pk}", 3)  # the refusal: none
    other = create_api_token(UserFactory(), "Other")
    assert ApiClient(other.raw).get("/api/v1/sessions/").status_code == 200
    clock.advance(timedelta(seconds=40))
    assert first.get("/api/v1/sessions/").status_code == 200


def test_seed_demo_prints_a_working_admin_token_and_revokes_the_last_one(db):
    from io import StringIO

    from django.core.management import call_command

    def seed() -> str:
        out = StringIO()
        call_command("seed_demo", password="demo1234", stdout=out)
        (line,) = [line for line in out.getvalue().splitlines() if "API token" in line]
        return line.rsplit(" ", 1)[-1]

    first = seed()
    second = seed()

    assert ApiClient(first).get("/api/v1/sessions/").status_code == 401
    response = ApiClient(second).get("/api/v1/sessions/")
    assert response.status_code == 200
    assert len(response.json()["results"]) > 0  # the admin sees the demo sessions
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_djangos_admin_lists_tokens_without_their_hash(mentee):
    from accounts.models import User

    new = create_api_token(mentee, "Slack bot")
    root = User.objects.create_superuser("root@example.com", "a-long-password-42")
    client = client_for(root)

    listing = client.get("/django-admin/accounts/apitoken/").content.decode()
    change = client.get(f"/django-admin/accounts/apitoken/{new.token.pk}/change/")

    assert new.token.prefix in listing
    assert change.status_code == 200
    assert new.token.token_hash not in change.content.decode()
    assert client.get("/django-admin/accounts/apitoken/add/").status_code == 403
