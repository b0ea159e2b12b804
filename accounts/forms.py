import unicodedata
from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)
from django.contrib.auth.tokens import default_token_generator
from django.forms.utils import ErrorDict
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.services import EMAIL_TAKEN_MESSAGE, reset_password
from common.email_addresses import EmailAddressField, typed_email
from common.urls import absolute_url
from notifications.emails import email_to, queue_emails
from notifications.models import EmailKind
from ops import ratelimit, throttle

NAME_LINE_BREAK_MESSAGE = "Names cannot contain line breaks, tabs or other control characters."


def _refuse_control_characters(value: str) -> str:
    """Names reach email subjects and bodies: a line break must never get that far."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise forms.ValidationError(NAME_LINE_BREAK_MESSAGE, code="control_characters")
    return value


# The code of a form error that a throttle raised: the view answers 429 (`refused_status`).
THROTTLED = "throttled"


def refused_status(form: forms.BaseForm, otherwise: int) -> int:
    """429 Too Many Requests when a throttle refused the form (docs/PRODUCT.md §1.3), else
    `otherwise`."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    return 429 if THROTTLED in codes else otherwise


def check_current_password(
    request: HttpRequest, email: str, check: Callable[[], bool], wrong_message: str
) -> None:
    """A person's current password, checked behind the login throttle (ops/throttle.py):
    a wrong one counts as a failed login, and while the account is locked even the right
    one is refused. Raises ValidationError for either."""
    try:
        passed = throttle.check_password(request, email, check)
    except throttle.LockedOut as refusal:
        raise forms.ValidationError(str(refusal), code=THROTTLED) from None
    if not passed:
        raise forms.ValidationError(wrong_message, code="password_incorrect")


def allow(rate: ratelimit.Rate, *, email: str = "", address: str = "") -> bool:
    """Count one request under `rate` for the email it names and for its client address,
    each when given, as the keys "email:…" and "address:…" of the rate's scope
    (ops/ratelimit.py), and say whether it may go on. False when either has had `rate.limit`
    within the window already; then it is counted for neither."""
    email = typed_email(email)
    keys = []
    if email:
        keys.append(f"email:{email}")
    if address:
        keys.append(f"address:{address}")
    try:
        ratelimit.attempt_all(rate, keys)
    except ratelimit.RateLimited:
        return False
    return True


class LimitedForm:
    """A form whose posts are limited per client address and per email typed (`allow`
    under the scope `action`, `limit_setting` an hour; docs/PRODUCT.md §1.3). A refused post
    is not validated (a sign-up's email is not even looked up), changes nothing, and shows
    `refused_message`."""

    action: str
    limit_setting: str
    refused_message: str

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def full_clean(self) -> None:
        limit = getattr(settings, self.limit_setting)
        rate = ratelimit.Rate(scope=self.action, limit=limit, window=timedelta(hours=1))
        if self.is_bound and not allow(
            rate,
            email=str(self.data.get("email", "")),
            address=throttle.client_address(self.request),
        ):
            self._errors, self.cleaned_data = ErrorDict(renderer=self.renderer), {}
            self.add_error(None, forms.ValidationError(self.refused_message, code=THROTTLED))
            return
        super().full_clean()


class PersonFields(forms.ModelForm):
    """Name, email and time zone, as sign-up and the account page both take them."""

    email_taken_message = EMAIL_TAKEN_MESSAGE

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "time_zone")
        field_classes = {"email": EmailAddressField}

    def clean_first_name(self) -> str:
        return _refuse_control_characters(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _refuse_control_characters(self.cleaned_data["last_name"])

    def clean_email(self) -> str:
        # Stored lowercased, so the unique constraint is case-insensitive too.
        email = self.cleaned_data["email"].strip().lower()
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(self.email_taken_message, code="email_taken")
        return email


class SignupForm(LimitedForm, PersonFields, UserCreationForm):
    """Sign-up, limited: it tells whether an email has an account."""

    email_taken_message = "An account with this email already exists. Log in instead."
    action = "signup"
    limit_setting = "SIGNUP_LIMIT_PER_HOUR"
    refused_message = (
        "Too many sign-up attempts from your network or for this email address. Please wait "
        "an hour and try again."
    )

    class Meta(PersonFields.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # static/js/time-zone.js selects the browser's zone when the list has it; a
            # form shown again after an error keeps the zone the person chose.
            self.fields["time_zone"].widget.attrs["data-browser-time-zone"] = True


class AccountForm(PersonFields):
    """The account page (docs/PRODUCT.md §1.3). The email is the login and where password
    resets go, so changing it asks for the current password, behind the login throttle."""

    field_order = ["first_name", "last_name", "email", "current_password", "time_zone"]

    current_password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed only to change your email address.",
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.saved_email = self.instance.email

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and email != self.saved_email:
            self._check_current_password(cleaned.get("current_password") or "")
        return cleaned

    def _check_current_password(self, password: str) -> None:
        if not password:
            self.add_error(
                "current_password", "Enter your current password to change your email address."
            )
            return
        try:
            check_current_password(
                self.request,
                self.saved_email,
                lambda: self.instance.check_password(password),
                "That is not your current password.",
            )
        except forms.ValidationError as error:
            self.add_error("current_password", error)

    def details(self) -> dict:
        return {field: self.cleaned_data[field] for field in PersonFields.Meta.fields}


class ThrottledLogin:
    """AuthenticationForm's check of an email and a password, behind the login throttle
    (ops/throttle.py): a locked account, pair or address is refused before its password is
    looked at. The product's login and Django's admin login both use it."""

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = throttle.check_password(
                    self.request,
                    email,
                    lambda: authenticate(self.request, username=email, password=password),
                )
            except throttle.LockedOut as refusal:
                raise forms.ValidationError(str(refusal), code=THROTTLED) from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class EmailAuthenticationForm(ThrottledLogin, AuthenticationForm):
    username = EmailAddressField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """Django's admin login (config/admin.py), with the product's throttle."""


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's password change; the old password is checked behind the login throttle."""

    def __init__(self, user: User, *args, request: HttpRequest, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        check_current_password(
            self.request,
            self.user.email,
            lambda: self.user.check_password(old_password),
            self.error_messages["password_incorrect"],
        )
        return old_password


class NewPasswordForm(SetPasswordForm):
    """The last step of a password reset (accounts.services.reset_password)."""

    def save(self, commit: bool = True) -> User:
        return reset_password(self.user, self.cleaned_data["new_password1"])


class OutboxPasswordResetForm(LimitedForm, PasswordResetForm):
    """Django's reset request, limited (5 an hour per client address and per email, by
    default), and its email goes through the outbox like every other email: never sent
    inside the request, and at most one per address every
    PASSWORD_RESET_EMAIL_INTERVAL_MINUTES. The page says the same whether or not the
    account exists, and both cases do the same work, up to the outbox row itself: the same
    reads, the same email rendered (for a stand-in), the same attempts counted."""

    action = "password_reset"
    limit_setting = "PASSWORD_RESET_LIMIT_PER_HOUR"
    refused_message = (
        "Too many password reset requests from your network or for this email address. "
        "Please wait an hour and try again."
    )
    email = EmailAddressField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *, token_generator=default_token_generator, **_unused) -> None:
        email = self.cleaned_data["email"]
        user = next(iter(self.get_users(email)), None)
        recipient = user or User(email=email)
        reset_url = absolute_url(
            "password_reset_confirm",
            urlsafe_base64_encode(force_bytes(recipient.pk)),
            token_generator.make_token(recipient),
        )
        outgoing = email_to(
            recipient, EmailKind.PASSWORD_RESET, "password_reset", {"reset_url": reset_url}
        )
        interval = timedelta(minutes=settings.PASSWORD_RESET_EMAIL_INTERVAL_MINUTES)
        rate = ratelimit.Rate(scope="password_reset_email", limit=1, window=interval)
        if allow(rate, email=email) and user is not None:
            queue_emails([outgoing])


class ApiTokenForm(forms.Form):
    """A new personal API token: its name, so its owner can tell it from others."""

    name = forms.CharField(
        label="Token name",
        max_length=100,
        strip=True,
        help_text="What will use it, e.g. “HR sync” or “Slack bot”.",
        error_messages={"required": "Give the token a name."},
        validators=[_refuse_control_characters],
    )
