import operator
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


# The one definition of the SLA states: how a pending application's due date compares
# with today, in the queue's order (overdue first); decided ones rank after them all.
SLA_DUE_ON = {SLA.OVERDUE: "lt", SLA.DUE_TODAY: "exact", SLA.ON_TRACK: "gt"}
SLA_RANK = {state: rank for rank, state in enumerate(SLA_DUE_ON)}
DECIDED_RANK = len(SLA_DUE_ON)
_COMPARE = {"lt": operator.lt, "exact": operator.eq, "gt": operator.gt}


def sla_q(state: str, today: date) -> Q:
    """Pending applications in SLA ``state`` on ``today``."""
    return Q(status="pending", **{f"due_on__{SLA_DUE_ON[state]}": today})


class ApplicationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Application.Status.PENDING)

    def sla(self, state: str, *, today: date | None = None):
        return self.filter(sla_q(state, today or timezone.localdate()))

    def with_queue_columns(self, *, today: date | None = None):
        """Annotate what the review queue shows from other tables, in this one query.

        ``sla_rank`` orders the queue. The accounts' balances come in one more query, to
        be valued at today's prices in exact Decimals (accounts.services.total_usdt, not
        SQL: SQLite multiplies in floats), so the queue costs the same however long it is.
        """
        from accounts.models import Balance

        today = today or timezone.localdate()
        return self.annotate(
            sla_rank=Case(
                *(When(sla_q(state, today), then=Value(SLA_RANK[state])) for state in SLA_DUE_ON),
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
        return next(s for s, op in SLA_DUE_ON.items() if _COMPARE[op](self.due_on, today))
