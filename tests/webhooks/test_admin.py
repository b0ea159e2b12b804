"""The staff pages at /admin/webhooks/ (docs/PRODUCT.md §12): who may see them, the secret
shown once, edits, enabling, deleting, the delivery log and Resend. (Every URL's access for
every role is also in tests/security/test_url_matrix.py.)"""

import re

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import DeliveryState
from tests.conftest import client_for
from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
LOCAL = "http://127.0.0.1:9/hooks"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture(autouse=True)
def local_urls_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def hook(db):
    return WebhookEndpoint.objects.create(url=LOCAL, events=",session.confirmed,")


def delivery_for(endpoint, **fields) -> WebhookDelivery:
    defaults = {
        "event_type": "session.confirmed",
        "payload": '{"type":"session.confirmed"}',
        "msg_id": "msg_abc_1",
        "state": DeliveryState.FAILED,
        "attempts": 3,
        "response_code": 503,
        "last_error": "EndpointAnswered: the endpoint answered HTTP 503",
    }
    return WebhookDelivery.objects.create(
        endpoint=endpoint, next_attempt_at=timezone.now(), **{**defaults, **fields}
    )


# --- Access ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get("/admin/webhooks/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/webhooks/"


def test_people_who_are_not_staff_are_refused(mentee, hook):
    client = client_for(mentee)
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.get(f"/admin/webhooks/{hook.pk}/").status_code == 403
    assert client.post(f"/admin/webhooks/{hook.pk}/rotate-secret/").status_code == 403
    assert WebhookEndpoint.objects.get().secret == hook.secret


def test_an_unknown_endpoint_is_404(admin_client):
    assert admin_client.get("/admin/webhooks/999/").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(admin_user, hook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert client.post(f"/admin/webhooks/{hook.pk}/disable/").status_code == 403
    assert WebhookEndpoint.objects.get().enabled is True


def test_the_admin_nav_links_to_the_webhooks(admin_client):
    assert 'href="/admin/webhooks/"' in admin_client.get("/admin/emails/").content.decode()


# --- Create, and the secret shown once -------------------------------------------------------


def test_creating_an_endpoint_shows_its_secret_once(admin_client):
    response = admin_client.post(
        "/admin/webhooks/new/", {"url": LOCAL, "events": ["session.booked", "session.cancelled"]}
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.events) == (LOCAL, ",session.booked,session.cancelled,")
    assert endpoint.enabled is True
    page = response.content.decode()
    assert SECRET.findall(page) == [endpoint.secret]
    assert "shown only this once" in page
    assert response["Cache-Control"] == "private, no-store"
    # Never again: not on the endpoint's page, not in the list.
    for url in ("/admin/webhooks/", f"/admin/webhooks/{endpoint.pk}/"):
        assert endpoint.secret not in admin_client.get(url).content.decode()
    assert (
        endpoint.secret_hint in admin_client.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "https://10.0.0.1/in", "events": ["session.booked"]}, "url"),
        ({"url": "http://192.168.0.9/in", "events": ["session.booked"]}, "url"),
        ({"url": "not a url", "events": ["session.booked"]}, "url"),
        ({"url": "https://93.184.216.34/in", "events": []}, "events"),
        ({"url": "https://93.184.216.34/in", "events": ["session.exploded"]}, "events"),
    ],
)
def test_a_refused_endpoint_is_shown_again_with_the_reason_and_nothing_is_saved(
    admin_client, settings, data, field
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    response = admin_client.post("/admin/webhooks/new/", data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not WebhookEndpoint.objects.exists()


# --- Edit, rotate, enable, delete -------------------------------------------------------------


def test_editing_saves_the_url_and_events(admin_client, hook):
    response = admin_client.post(
        f"/admin/webhooks/{hook.pk}/",
        {"url": "http://127.0.0.1:10/other", "events": ["session.completed"]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/webhooks/{hook.pk}/"
    hook.refresh_from_db()
    assert (hook.url, hook.events) == ("http://127.0.0.1:10/other", ",session.completed,")


def test_rotating_the_secret_shows_the_new_one_once(admin_client, hook):
    old = hook.secret

    response = admin_client.post(f"/admin/webhooks/{hook.pk}/rotate-secret/")

    hook.refresh_from_db()
    assert hook.secret != old
    assert SECRET.findall(response.content.decode()) == [hook.secret]


def test_disabling_and_enabling(admin_client, admin_user, hook, clock):
    admin_client.post(f"/admin/webhooks/{hook.pk}/disable/")
    hook.refresh_from_db()
    assert (hook.enabled, hook.disabled_reason) == (False, f"Disabled by {admin_user.email}.")

    WebhookEndpoint.objects.filter(pk=hook.pk).update(failing_since=clock.now)
    admin_client.post(f"/admin/webhooks/{hook.pk}/enable/")
    hook.refresh_from_db()
    assert (hook.enabled, hook.disabled_reason, hook.failing_since) == (True, "", None)


def test_deleting_asks_first_then_removes_the_endpoint_and_its_log(admin_client, hook):
    delivery_for(hook)

    confirm = admin_client.get(f"/admin/webhooks/{hook.pk}/delete/")
    assert confirm.status_code == 200
    assert WebhookEndpoint.objects.exists()

    response = admin_client.post(f"/admin/webhooks/{hook.pk}/delete/")
    assert response["Location"] == "/admin/webhooks/"
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- The delivery log and Resend ---------------------------------------------------------------


def test_the_log_shows_each_delivery_state_attempts_and_last_response(admin_client, hook):
    delivery = delivery_for(hook)

    page = admin_client.get(f"/admin/webhooks/{hook.pk}/").content.decode()

    row = page[page.index(f'data-delivery-id="{delivery.pk}"') :].split("</tr>")[0]
    assert "session.confirmed" in row
    assert "Failed" in row
    assert ">3<" in row
    assert "HTTP 503" in row
    assert "msg_abc_1" in row
    assert "Resend" in row


def test_resend_queues_a_copy_with_the_same_webhook_id(admin_client, hook):
    delivery = delivery_for(hook)

    response = admin_client.post(f"/admin/webhooks/deliveries/{delivery.pk}/resend/")

    assert response["Location"] == f"/admin/webhooks/{hook.pk}/"
    copy = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert (copy.msg_id, copy.payload, copy.resend_of_id) == (
        delivery.msg_id,
        delivery.payload,
        delivery.pk,
    )
    assert (copy.state, copy.attempts, copy.response_code) == ("queued", 0, None)
    assert copy.task_id is not None


@pytest.mark.parametrize("state", [DeliveryState.QUEUED, DeliveryState.SENDING])
def test_resend_is_refused_while_the_delivery_is_on_its_way(admin_client, hook, state):
    delivery = delivery_for(hook, state=state)

    response = admin_client.post(f"/admin/webhooks/deliveries/{delivery.pk}/resend/", follow=True)

    assert WebhookDelivery.objects.count() == 1
    assert "still on its way" in response.content.decode()


def test_resend_twice_makes_one_copy(admin_client, hook):
    delivery = delivery_for(hook)

    admin_client.post(f"/admin/webhooks/deliveries/{delivery.pk}/resend/")
    admin_client.post(f"/admin/webhooks/deliveries/{delivery.pk}/resend/")

    assert WebhookDelivery.objects.filter(resend_of=delivery).count() == 1


# --- Queries do not grow with the rows --------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_queries(count, admin_client, admin_user, django_assert_num_queries):
    for number in range(count):
        endpoint = WebhookEndpoint.objects.create(url=f"{LOCAL}{number}", events=",session.booked,")
        delivery_for(endpoint)
    admin_client.get("/admin/webhooks/")

    # session + user, the endpoints with their counts
    with django_assert_num_queries(3):
        assert admin_client.get("/admin/webhooks/").status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_the_endpoint_page_queries(count, admin_client, hook, django_assert_num_queries):
    for number in range(count):
        delivery_for(hook, msg_id=f"msg_{number}")
    UserFactory()

    # session + user, the endpoint, the count of its deliveries, a page of them
    with django_assert_num_queries(5):
        assert admin_client.get(f"/admin/webhooks/{hook.pk}/").status_code == 200
