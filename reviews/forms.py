from django import forms

from accounts.forms import TwoFactorForm
from accounts.validators import plain_text_lines

from . import services


class SubmitApplicationForm(TwoFactorForm):
    """ "Submit for Review", confirmed with a Google Authenticator code.

    Whether the account may apply is checked before the code, so that a refusal
    doesn't spend it.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "apply_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        reason = services.refusal_reason(self.user, services.latest_application(self.user))
        if reason:
            raise forms.ValidationError(reason)
        return super().clean()


class RejectForm(forms.Form):
    """The reason compliance gives the trader; a rejection without one is refused."""

    reason = forms.CharField(
        label="Reason (shown to the trader)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        # Several lines are fine in a reason; other control characters are not.
        validators=[plain_text_lines],
    )
