"""Response headers that hold for every page."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateToTheLoggedInMiddleware:
    """Every response to a logged-in person says `Cache-Control: private, no-store`
    (docs/PRODUCT.md §1.2): their sessions, emails and names must not be kept by a shared
    cache, nor shown again from the browser's history to the next person at the same
    computer. A response that says something of its own keeps it, made private and
    unstored (`public` is dropped). Pages for visitors are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: logging in or out has already changed who the person is.
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
