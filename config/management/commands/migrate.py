"""`migrate`, safe to run on several machines at once.

On PostgreSQL it holds a session advisory lock for the whole run: a second `migrate`
waits for the first, then finds nothing left to do (without it, three machines starting
at once against an empty database raced to create the same tables, and two failed).
SQLite is one file on one machine: its own write lock is enough.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

# Any constant shared by every release of this project: pg_advisory_lock takes a bigint.
MIGRATE_LOCK_ID = 0x61706970_6F727431  # "apiport1"


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Holds a PostgreSQL advisory lock while it runs."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            if options["verbosity"] >= 1:
                self.stdout.write("Waiting for the migration lock (another migrate may run).")
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_ID])
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_ID])
