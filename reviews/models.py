import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


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

    class Meta:
        ordering = ["-submitted_at"]
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
