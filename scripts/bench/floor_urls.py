"""The product's URLs plus the benchmark's floor view, used only by bench_pages.py beside
this file (it sets ROOT_URLCONF to this module). The product never includes it."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.http import require_GET

from bookings.models import MentoringSession

FLOOR_ROWS = 25
TEMPLATE = engines["django"].from_string((Path(__file__).parent / "floor.html").read_text())


@login_required
@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """The framework's floor: 25 sessions from one indexed query (`session_start`), the
    people joined in, rendered in the product's base template. No page that lists sessions
    can do less than this."""
    sessions = MentoringSession.objects.select_related("mentor", "mentee").order_by("start", "id")
    return HttpResponse(TEMPLATE.render({"sessions": sessions[:FLOOR_ROWS]}, request))


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("config.urls")),
]
