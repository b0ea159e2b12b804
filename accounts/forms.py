import unicodedata

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.db import transaction

from accounts.models import User
from common.urls import absolute_url
from notifications.emails import queue_email
from notifications.models import EmailKind
from ops.throttle import LOCKOUT_MESSAGE, clear_failures, client_ip, is_locked_out, record_failure

NAME_LINE_BREAK_MESSAGE = "Names cannot contain line breaks, tabs or other control characters."


def _refuse_control_characters(value: str) -> str:
    """Names reach email subjects and bodies: a line break must never get that far."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise forms.ValidationError(NAME_LINE_BREAK_MESSAGE, code="control_characters")
    return value


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "time_zone")

    def clean_first_name(self) -> str:
        return _refuse_control_characters(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _refuse_control_characters(self.cleaned_data["last_name"])

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in instead."
            )
        return email


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        """Django's check, behind the login throttle (ops/throttle.py): a locked-out email
        or address is refused before its password is even looked at."""
        email = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if is_locked_out(email, ip):
            raise forms.ValidationError(LOCKOUT_MESSAGE, code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                record_failure(email, ip)
            raise
        if self.user_cache is not None:
            clear_failures(email)
        return cleaned


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset flow, but the email goes through the outbox like every other email:
    never sent inside the request, and the page says the same whether or not the account
    exists."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        reset_url = absolute_url("password_reset_confirm", context["uid"], context["token"])
        with transaction.atomic():
            queue_email(user, EmailKind.PASSWORD_RESET, "password_reset", {"reset_url": reset_url})
