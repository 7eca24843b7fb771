from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.twofactor import has_2fa
from reviews.services import application_panel


@login_required
def index(request):
    ctx = {
        "has_2fa": has_2fa(request.user),
        "panel": application_panel(request.user),
    }
    return render(request, "apikeys/index.html", ctx)
