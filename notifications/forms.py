from django import forms

from notifications.models import EmailKind, EmailState
from notifications.selectors import EmailLogFilters


class EmailLogFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "All states"), *EmailState.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "All kinds"), *EmailKind.choices], required=False)
    q = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        label="Recipient",
        widget=forms.TextInput(attrs={"placeholder": "Email address or name"}),
    )

    def filters(self) -> EmailLogFilters:
        """The valid filters; an invalid one is dropped (and the form shows why)."""
        data = self.cleaned_data if self.is_bound else {}
        if self.errors:
            data = {key: value for key, value in data.items() if key not in self.errors}
        return EmailLogFilters(
            state=data.get("state") or "", kind=data.get("kind") or "", q=data.get("q") or ""
        )
