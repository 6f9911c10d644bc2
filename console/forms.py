"""The reasons agents give for their actions: requeueing dead letters, lifting a suppression."""

from django import forms


class RequeueForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=300,
        help_text="Why these are sent again (e.g. the provider outage is over). Saved in the audit trail.",
    )


class LiftSuppressionForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="Why sending to these addresses is safe again. Saved on the suppression and in the audit trail.",
    )
