import uuid

from django.conf import settings
from django.db import models


class Subaccount(models.Model):
    """The public face of a sub-account: the random code its URLs carry.

    The sub-account itself is a ``User`` with ``parent`` set (its balances and keys
    hang off that user); this row gives it a non-sequential handle and a creation
    time, so that no URL ever names a user id.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subaccount"
    )
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.user.username
