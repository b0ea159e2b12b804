import unicodedata

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from accounts.services import EMAIL_TAKEN_MESSAGE
from common.email_addresses import EmailAddressField
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


class SignupForm(PersonFields, UserCreationForm):
    email_taken_message = "An account with this email already exists. Log in instead."

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
        ip = client_ip(self.request)
        if not password:
            self.add_error(
                "current_password", "Enter your current password to change your email address."
            )
        elif is_locked_out(self.saved_email, ip):
            self.add_error("current_password", LOCKOUT_MESSAGE)
        elif not self.instance.check_password(password):
            record_failure(self.saved_email, ip)
            self.add_error("current_password", "That is not your current password.")

    def details(self) -> dict:
        return {field: self.cleaned_data[field] for field in PersonFields.Meta.fields}


class EmailAuthenticationForm(AuthenticationForm):
    username = EmailAddressField(
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

    email = EmailAddressField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

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
