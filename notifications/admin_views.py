"""The staff email log (/admin/emails/): each email's state, attempts and error, and Resend."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from common.admin_area import list_filters, list_url, numbered_page, staff_required
from notifications import selectors, services
from notifications.forms import EmailLogFilterForm
from notifications.models import OutboundEmail

PAGE_SIZE = 50
FILTER_KEYS = ("state", "kind", "q", "page")


def email_log_url(raw_query: str = "") -> str:
    return list_url("admin_emails", raw_query, FILTER_KEYS)


@staff_required
@require_safe
def email_log(request: HttpRequest) -> HttpResponse:
    listed = list_filters(request, EmailLogFilterForm, FILTER_KEYS)
    page = numbered_page(request, selectors.email_log(listed.form.filters()), PAGE_SIZE)
    return render(
        request,
        "notifications/admin/email_log.html",
        {
            **listed.context(),
            "page": page,
            "emails": services.with_resend_refusals(page.object_list),
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
