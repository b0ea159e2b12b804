"""Cache-Control (docs/PRODUCT.md §1.2): every response to a logged-in person is
`private, no-store` (the access matrix checks it on every URL); pages for visitors and the
static files keep what they said before."""

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils.cache import patch_cache_control

from config.middleware import PrivateToTheLoggedInMiddleware
from tests.conftest import client_for
from tests.security.test_url_matrix import cache_directives


@pytest.mark.parametrize("path", ["/", "/mentors/", "/accounts/signup/"])
def test_a_visitors_page_says_nothing_of_caching(path, world):
    response = Client().get(path)

    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_a_logged_in_persons_page_is_private_and_not_stored(world):
    response = client_for(world.users["mentee"]).get("/dashboard/")

    assert cache_directives(response) == {"private", "no-store"}


def test_a_page_with_its_own_cache_control_keeps_it_and_becomes_private(world):
    """/healthz says never to cache; to a logged-in person that stays, and is private."""
    response = client_for(world.users["mentee"]).get("/healthz")

    assert cache_directives(response) >= {"no-cache", "no-store", "private", "max-age=0"}


def test_public_caching_becomes_private_for_a_logged_in_person(world):
    request = RequestFactory().get("/")
    request.user = world.users["mentee"]

    def cached_for_everyone(request):
        response = HttpResponse("hello")
        patch_cache_control(response, public=True, max_age=600)
        return response

    response = PrivateToTheLoggedInMiddleware(cached_for_everyone)(request)

    assert cache_directives(response) == {"private", "no-store", "max-age=600"}


def test_a_static_file_keeps_its_own_caching_for_a_logged_in_person(settings, world):
    """WhiteNoise answers static files before the user is looked at."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True

    response = client_for(world.users["mentee"]).get("/static/css/site.css")

    assert response.status_code == 200
    assert "private" not in cache_directives(response)
    assert "no-store" not in cache_directives(response)
    response.close()
