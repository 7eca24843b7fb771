from django.core.management.base import BaseCommand

from accounts.activity import prune


class Command(BaseCommand):
    help = "Delete sign-in records older than SIGNIN_HISTORY_DAYS and rows of ended sessions."

    def handle(self, *args, **options):
        events, sessions = prune()
        self.stdout.write(f"Deleted {events} sign-in records and {sessions} ended sessions.")
