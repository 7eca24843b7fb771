from django import forms

from api.auth import recv_window_ms
from api.errors import ApiError


class SignatureCheckForm(forms.Form):
    """The docs page's "Test a signature" tool: what the trader's bot signed and sent."""

    api_key = forms.CharField(label="API key", max_length=100)
    method = forms.CharField(label="Method", max_length=10)
    path = forms.CharField(
        label="Path with query",
        max_length=2000,
        strip=False,
        help_text="e.g. /api/v1/orders?symbol=BTCUSDT",
    )
    body = forms.CharField(
        label="Body",
        required=False,
        strip=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    timestamp = forms.CharField(label="Timestamp (ms)", max_length=20, strip=False)
    recv_window = forms.CharField(
        label="Receive window (ms)",
        required=False,
        max_length=20,
        help_text="X-API-RECV-WINDOW exactly as sent; empty when you send no such header.",
    )
    signature = forms.CharField(label="Signature", max_length=200)

    def clean_recv_window(self):
        # The same rule as the API's: a bad window there is a 400, not a signature miss.
        raw = self.cleaned_data["recv_window"]
        if raw:
            try:
                recv_window_ms(raw)
            except ApiError as refused:
                raise forms.ValidationError(refused.message) from None
        return raw

    def clean_body(self):
        # Browsers send a textarea's line breaks as CRLF; the bot most likely signed LF.
        return self.cleaned_data["body"].replace("\r\n", "\n")
