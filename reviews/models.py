import operator
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone

from accounts.money import MoneyField


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


class Purpose(models.TextChoices):
    OWN_BOT = "own_bot", "My own trading bot"
    THIRD_PARTY = "third_party", "A third-party platform"
    MARKET_MAKING = "market_making", "Market making"
    OTHER = "other", "Other"


class Volume(models.TextChoices):
    UNDER_100K = "lt_100k", "Under 100,000"
    UNDER_1M = "lt_1m", "100,000 – 1,000,000"
    UNDER_10M = "lt_10m", "1,000,000 – 10,000,000"
    ABOVE_10M = "gte_10m", "10,000,000 or more"


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
    balance_usdt = MoneyField("balance at submission (USDT)")
    threshold_usdt = MoneyField("fast-track threshold (USDT)")
    fast_track = models.BooleanField()
    # What the trader told the risk team (blank on applications from before they were asked).
    purpose = models.CharField(max_length=20, choices=Purpose.choices, blank=True)
    platform = models.CharField("third-party platform", max_length=100, blank=True)
    monthly_volume = models.CharField(
        "expected monthly volume (USDT)", max_length=10, choices=Volume.choices, blank=True
    )
    server_ips = models.TextField("servers' IP addresses", blank=True)
    strategy = models.TextField("strategy", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Business days from submission to decision, counted when deciding (the SLA dashboard).
    business_days = models.PositiveSmallIntegerField(
        "business days to decision", null=True, blank=True
    )
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


class Note(models.Model):
    """An officer's internal note on an application; the trader never sees it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Note by {self.author} on {self.created_at:%Y-%m-%d %H:%M}"
