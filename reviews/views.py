from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_POST

from accounts.decorators import code_confirmed

from . import services
from .forms import SubmitApplicationForm
from .panel import application_panel


@require_POST
@code_confirmed
def apply(request):
    form = SubmitApplicationForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            application = services.submit_application(user=request.user, answers=form.answers)
        except services.ApplicationRefused as refused:
            messages.error(request, str(refused))
        else:
            due = date_format(application.due_on, "l, j M Y")
            messages.success(request, f"Application submitted. A decision is due by {due}.")
        return redirect("apikeys:index")
    if form.non_field_errors():
        # The account may not apply (any more): say why, on the page that shows where it stands.
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect("apikeys:index")
    # The page again, with the error next to the code field.
    ctx = {"has_2fa": True, "panel": application_panel(request.user, form=form)}
    return render(request, "reviews/apply.html", ctx, status=400)
