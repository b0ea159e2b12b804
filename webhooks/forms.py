from django import forms
from django.conf import settings

from common import netguard
from webhooks.models import WebhookEvent


class EndpointForm(forms.Form):
    """An endpoint's URL and events. The URL's host is resolved here and must be public
    (unless WEBHOOK_ALLOW_PRIVATE_HOSTS), and is checked again at every delivery."""

    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="An https:// address that accepts POST requests.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this URL.",
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            netguard.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_HOSTS)
        except netguard.RefusedAddress as error:
            raise forms.ValidationError(str(error), code="refused") from None
        except netguard.UnresolvableHost:
            raise forms.ValidationError(
                "This URL's host could not be found; check the spelling.", code="unresolvable"
            ) from None
        return url
