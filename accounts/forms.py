from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.db import transaction
from django.urls import reverse

from accounts.models import User


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "time_zone")

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
        from notifications.emails import queue_email, render_email
        from notifications.models import EmailKind

        user = context["user"]
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        rendered = render_email("password_reset", {"reset_url": settings.SITE_URL + path}, user)
        with transaction.atomic():
            queue_email(kind=EmailKind.PASSWORD_RESET, recipient=user, rendered=rendered)
