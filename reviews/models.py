import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone


class SLA(models.TextChoices):
    """Where a pending application stands against its due date."""

    OVERDUE = "overdue", "Overdue"
    DUE_TODAY = "due_today", "Due today"
    ON_TRACK = "on_track", "On track"


# The queue's order: overdue first, then due today, then on track; decided ones last.
SLA_RANK = {SLA.OVERDUE: 0, SLA.DUE_TODAY: 1, SLA.ON_TRACK: 2}
DECIDED_RANK = 3


class ApplicationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Application.Status.PENDING)

    def sla(self, state: str, *, today: date | None = None):
        today = today or timezone.localdate()
        lookup = {SLA.OVERDUE: "due_on__lt", SLA.DUE_TODAY: "due_on", SLA.ON_TRACK: "due_on__gt"}
        return self.pending().filter(**{lookup[state]: today})

    def with_queue_columns(self, *, today: date | None = None):
        """Annotate what the review queue shows from other tables, in this one query.

        ``sla_rank`` orders the queue. The accounts' balances come in one more query, to
        be valued at today's prices in exact Decimals (accounts.services.total_usdt, not
        SQL: SQLite multiplies in floats), so the queue costs the same however long it is.
        """
        from accounts.models import Balance

        today = today or timezone.localdate()
        pending = Q(status=Application.Status.PENDING)
        return self.annotate(
            sla_rank=Case(
                When(pending & Q(due_on__lt=today), then=Value(SLA_RANK[SLA.OVERDUE])),
                When(pending & Q(due_on=today), then=Value(SLA_RANK[SLA.DUE_TODAY])),
                When(pending, then=Value(SLA_RANK[SLA.ON_TRACK])),
                default=Value(DECIDED_RANK),
            ),
        ).prefetch_related(
            Prefetch("user__balances", queryset=Balance.objects.select_related("asset"))
        )


class Application(models.Model):
    """An account's application for API trading, decided by compliance staff."""

    class Status(models.TextChoices):
        PENDING = "pending", "Under review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField()
    due_on = models.DateField("decision due")
    balance_usdt = models.DecimalField(
        "balance at submission (USDT)", max_digits=36, decimal_places=8
    )
    threshold_usdt = models.DecimalField(
        "fast-track threshold (USDT)", max_digits=36, decimal_places=8
    )
    fast_track = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "due_on"], name="application_queue")]
        constraints = [
            # One open application per account, enforced where races can't slip past.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="one_open_application_per_user",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_status_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def sla_state(self, today: date | None = None) -> str | None:
        """On track, due today or overdue; None once decided."""
        if not self.is_pending:
            return None
        today = today or timezone.localdate()
        if self.due_on < today:
            return SLA.OVERDUE
        if self.due_on == today:
            return SLA.DUE_TODAY
        return SLA.ON_TRACK
