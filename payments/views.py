"""Staff actions on a session's payment, from the sessions dashboard (/admin/sessions/)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from bookings.admin_views import dashboard_url
from bookings.models import MentoringSession
from common.admin_area import staff_required
from payments import services


class PaymentActionForm(forms.Form):
    reference = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        error_messages={"max_length": "The payment reference is too long; nothing was changed."},
    )


def _who(session: MentoringSession) -> str:
    return f"{session.mentor.get_full_name()} – {session.mentee.get_full_name()}"


def _payment_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    session = get_object_or_404(MentoringSession.objects.select_related("mentor", "mentee"), pk=pk)
    back = dashboard_url(request.POST.get("return_query", ""))
    form = PaymentActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reference"][0])
        return redirect(back)
    try:
        payment = action(session, by=request.user, reference=form.cleaned_data["reference"])
    except services.PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Session {_who(session)}: ${payment.amount} {done}.")
    return redirect(back)


@staff_required
@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    return _payment_action(request, pk, services.mark_paid, "marked paid")


@staff_required
@require_POST
def mark_refunded(request: HttpRequest, pk: int) -> HttpResponse:
    return _payment_action(request, pk, services.mark_refunded, "marked refunded")
