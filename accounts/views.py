import unicodedata

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import (
    AccountForm,
    ApiTokenForm,
    EmailAuthenticationForm,
    OutboxPasswordResetForm,
    SignupForm,
    ThrottledPasswordChangeForm,
    refused_status,
)
from accounts.models import User
from accounts.services import (
    EMAIL_CHANGE_LINK_HOURS,
    AccountError,
    EmailChangeLinkError,
    confirm_email_change,
    create_api_token,
    read_email_change_link,
    revoke_api_token,
    update_account,
)

MAX_NEXT_LENGTH = 2000


def next_url(request: HttpRequest) -> str:
    """Where to go after logging in or signing up: the posted or requested `next` if it is a
    path on this site, else "" (the default page). A time picked on a mentor's profile
    travels this way through log-in and sign-up (docs/PRODUCT.md §1.3)."""
    url = request.POST.get("next", request.GET.get("next", ""))
    if (
        not url.startswith("/")
        or len(url) > MAX_NEXT_LENGTH
        or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in url)
        or url != url.strip()
    ):
        return ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


class AnswersTooManyRequests:
    """A form view of Django's whose form is throttled: the form gets the request (for the
    client's address), and a refused form is shown again with 429 Too Many Requests."""

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = refused_status(form, response.status_code)
        return response


class EmailLoginView(AnswersTooManyRequests, auth_views.LoginView):
    """Django's login by email, with the same `next` rule as sign-up."""

    authentication_form = EmailAuthenticationForm
    # Django's form views would also answer OPTIONS, and take PUT as POST.
    http_method_names = ["get", "head", "post"]

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        return next_url(request or self.request)


class PasswordChangeView(AnswersTooManyRequests, auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm


class PasswordResetView(AnswersTooManyRequests, auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    after = next_url(request)
    if request.user.is_authenticated:
        return redirect(after or "dashboard")
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to CodeMentorHub, {user.first_name}!")
        return redirect(after or "dashboard")
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": after},
        status=refused_status(form, 400 if form.errors else 200),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    # The form edits its own copy: a refused change must not show in the page's header.
    form = AccountForm(
        request.POST or None, instance=User.objects.get(pk=request.user.pk), request=request
    )
    if request.method == "POST" and form.is_valid():
        if update_account(request.user, **form.details()):
            messages.success(
                request,
                f"Your account has been saved. To change your email address, open the link "
                f"we sent to {form.cleaned_data['email']} within {EMAIL_CHANGE_LINK_HOURS} "
                f"hours. Until then it stays {request.user.email}.",
            )
        else:
            messages.success(request, "Your account has been saved.")
        return redirect("account")
    status = refused_status(form, 400 if form.errors else 200)
    return render(request, "registration/account.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a new email address: shows the change and a button (a link opened
    by a mail scanner changes nothing); the POST makes it (docs/PRODUCT.md §1.3). A link
    for another account is 404; an expired or used one says so (410)."""
    try:
        if request.method == "POST":
            user = confirm_email_change(request.user, token)
            messages.success(request, f"Your email address is now {user.email}.")
            return redirect("account")
        change = read_email_change_link(request.user, token)
    except LookupError:
        raise Http404("No such link.") from None
    except EmailChangeLinkError as error:
        return render(request, "registration/email_change.html", {"refusal": error}, status=410)
    except AccountError as error:
        return render(request, "registration/email_change.html", {"refusal": error}, status=409)
    return render(request, "registration/email_change.html", {"change": change})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The person's API tokens (docs/PRODUCT.md §11): a new one is shown once, on the
    page that answers its creation (never kept in the session or anywhere else)."""
    form = ApiTokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = create_api_token(request.user, form.cleaned_data["name"])
            form = ApiTokenForm()
            status = 201
        else:
            status = 400
    context = {
        "form": form,
        "created": created,
        "tokens": request.user.api_tokens.all(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "registration/api_tokens.html", context, status=status)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = revoke_api_token(request.user, pk)
    except LookupError:
        raise Http404("No such token.") from None
    messages.success(request, f"The token “{token.name}” was revoked; it no longer works.")
    return redirect("api_tokens")
