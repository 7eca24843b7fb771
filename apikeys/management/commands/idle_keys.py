"""Idle API keys, weekly (the README's schedule): disable the idle keys of the accounts
that asked for it, then send each account its digest of idle keys (once per week, even
when run twice)."""

from django.core.management.base import BaseCommand

from apikeys import services


class Command(BaseCommand):
    help = (
        "Disable the idle keys of accounts that turned it on, then e-mail the weekly "
        "digest of idle keys (once per account and week)."
    )

    def handle(self, *args, **options):
        disabled = services.disable_idle_keys()
        sent = services.send_idle_digests()
        self.stdout.write(f"Disabled {disabled} idle key(s); sent {sent} idle-key digest(s).")
