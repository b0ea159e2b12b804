"""The staff email log (/admin/emails/): each email's state, attempts and error, and Resend."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from common.admin_area import PAGE_NUMBER, kept_query, list_url, staff_required
from notifications import selectors, services
from notifications.forms import EmailLogFilterForm
from notifications.models import OutboundEmail

PAGE_SIZE = 50
FILTER_KEYS = ("state", "kind", "q", "page")


def _filter_query(raw: str) -> str:
    return kept_query(raw, FILTER_KEYS)


def email_log_url(raw_query: str = "") -> str:
    return list_url("admin_emails", raw_query, FILTER_KEYS)


@staff_required
@require_GET
def email_log(request: HttpRequest) -> HttpResponse:
    form = EmailLogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.warning(request, "Some filters were not understood and were ignored.")
    requested_page = request.GET.get("page", "")
    page = Paginator(selectors.email_log(form.filters()), PAGE_SIZE).get_page(requested_page)
    if requested_page and not PAGE_NUMBER.fullmatch(requested_page):
        messages.warning(
            request, f"There is no page “{requested_page[:20]}”; showing page {page.number}."
        )
    return render(
        request,
        "notifications/admin/email_log.html",
        {
            "form": form,
            "page": page,
            "emails": services.with_resend_refusals(page.object_list),
            "filter_query": _filter_query(request.GET.urlencode()),
            "filters_without_page": _filter_query(
                urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
            ),
        },
    )


@staff_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=pk)
    if request.POST.get("back") == "session" and email.session_id:
        back = reverse("admin_session_detail", args=[email.session_id])
    else:
        back = email_log_url(request.POST.get("return_query", ""))
    try:
        copy = services.resend_email(email, by=request.user)
    except services.ResendError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"A fresh copy of “{email.subject}” is queued for {email.to_email} (#{copy.pk}).",
        )
    return redirect(back)
