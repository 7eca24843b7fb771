"""E-mail the owners of API keys that expire within 7 days, then within 1 day; each
warning once per expiry. The README's schedule runs it hourly."""

from django.core.management.base import BaseCommand

from apikeys import services


class Command(BaseCommand):
    help = "Warn the owners of API keys that expire in 7 days or 1 day (each warning once)."

    def handle(self, *args, **options):
        sent = services.send_expiry_warnings()
        self.stdout.write(f"Sent {sent} expiry warning(s).")
