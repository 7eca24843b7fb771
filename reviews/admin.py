"""The review queue: compliance staff decide API-trading applications here.

Nothing on an application is edited by hand: approving and rejecting go through
``services.decide_application``, which records who decided, when and why, refuses a
second decision, and e-mails the trader.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.services import total_usdt
from accounts.templatetags.money import usdt

from . import services
from .forms import RejectForm
from .models import SLA, Application

SLA_BADGE = {SLA.OVERDUE: "red", SLA.DUE_TODAY: "orange", SLA.ON_TRACK: "green"}
STATUS_BADGE = {
    Application.Status.PENDING: "blue",
    Application.Status.APPROVED: "green",
    Application.Status.REJECTED: "red",
}


class SLAFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return SLA.choices

    def queryset(self, request, queryset):
        if self.value() in SLA.values:
            return queryset.sla(self.value())
        return queryset


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    # What compliance decides by comes first: the SLA and the due date.
    list_display = [
        "account",
        "sla_badge",
        "due",
        "status_badge",
        "fast_track",
        "balance_at_submission",
        "balance_now",
        "submitted",
    ]
    list_display_links = ["account"]
    list_filter = ["status", "fast_track", SLAFilter]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    search_help_text = "Search by username or e-mail."
    actions = ["approve_selected", "reject_selected"]
    fields = [
        "user",
        "status_badge",
        "sla",
        "submitted",
        "due",
        "fast_track",
        "balance_at_submission",
        "threshold",
        "balance_now",
        "decided_by",
        "decided",
        "decision_note",
    ]
    change_form_template = "admin/reviews/application/change_form.html"

    class Media:
        css = {"all": ["reviews/admin.css"]}

    def get_queryset(self, request):
        # Annotated before ordering, since the queue is ordered by an annotation.
        queryset = self.model._default_manager.get_queryset().with_queue_columns()
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # Overdue first, then due today, then on track; decided ones last.
        return ["sla_rank", "due_on", "submitted_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False  # traders apply from the API Management page

    def has_delete_permission(self, request, obj=None):
        return False  # a decision is a record; it is never deleted

    # --- Columns --------------------------------------------------------------

    @admin.display(description="Account", ordering="user__username")
    def account(self, obj):
        return format_html(
            '<strong>{}</strong><span class="rv-email">{}</span>', obj.user, obj.user.email
        )

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="rv-badge rv-{}">{}</span>',
            STATUS_BADGE[obj.status],
            obj.get_status_display(),
        )

    @admin.display(description="Balance at submission (USDT)", ordering="balance_usdt")
    def balance_at_submission(self, obj):
        return usdt(obj.balance_usdt)

    @admin.display(description="Balance now (USDT)")
    def balance_now(self, obj):
        # Exact, from the balances with_queue_columns prefetched (one query a page).
        return usdt(total_usdt(obj.user.balances.all()))

    @admin.display(description="Fast-track threshold (USDT)")
    def threshold(self, obj):
        return usdt(obj.threshold_usdt)

    @admin.display(description="Decided (UTC)")
    def decided(self, obj):
        if obj.decided_at is None:
            return self.get_empty_value_display()
        return date_format(timezone.localtime(obj.decided_at), "j M Y, H:i")

    @admin.display(description="Submitted (UTC)", ordering="submitted_at")
    def submitted(self, obj):
        return date_format(timezone.localtime(obj.submitted_at), "j M Y, H:i")

    @admin.display(description="Due", ordering="due_on")
    def due(self, obj):
        return date_format(obj.due_on, "D j M Y")

    @admin.display(description="SLA", ordering="sla_rank")
    def sla_badge(self, obj):
        state = obj.sla_state(timezone.localdate())
        if state is None:
            return self.get_empty_value_display()
        return format_html(
            '<span class="rv-badge rv-{}">{}</span>', SLA_BADGE[state], SLA(state).label
        )

    sla = sla_badge

    # --- Deciding -------------------------------------------------------------

    @admin.action(description="Approve selected applications", permissions=["change"])
    def approve_selected(self, request, queryset):
        result = services.decide_applications(
            applications=queryset, approve=True, decided_by=request.user
        )
        self._report(request, result, verb="Approved")

    @admin.action(description="Reject selected applications…", permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "reject" in request.POST else None)
        if form.is_valid():
            result = services.decide_applications(
                applications=queryset,
                approve=False,
                decided_by=request.user,
                note=form.cleaned_data["reason"],
            )
            self._report(request, result, verb="Rejected")
            return None
        return self._reject_page(request, list(queryset), form)

    def approve_view(self, request, object_id):
        application = self._application_to_decide(request, object_id)
        result = services.decide_applications(
            applications=[application], approve=True, decided_by=request.user
        )
        self._report(request, result, verb="Approved")
        return HttpResponseRedirect(reverse("admin:reviews_application_changelist"))

    def reject_view(self, request, object_id):
        application = self._application_to_decide(request, object_id)
        if services.own_application_refusal(reviewer=request.user, application=application):
            # No reason to ask for: the service would refuse it anyway.
            self._report(request, services.Decisions(refused=[application]), verb="Rejected")
            return HttpResponseRedirect(reverse("admin:reviews_application_changelist"))
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            result = services.decide_applications(
                applications=[application],
                approve=False,
                decided_by=request.user,
                note=form.cleaned_data["reason"],
            )
            self._report(request, result, verb="Rejected")
            return HttpResponseRedirect(reverse("admin:reviews_application_changelist"))
        return self._reject_page(request, [application], form, single=True)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                view(require_POST(self.approve_view)),
                name="reviews_application_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_view),
                name="reviews_application_reject",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: the decision buttons replace "Save".
        application = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "own_refusal": application
            and services.own_application_refusal(reviewer=request.user, application=application),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _application_to_decide(self, request, object_id) -> Application:
        # get_object() turns an id that isn't a number into None, not a 500.
        application = self.get_object(request, object_id)
        if application is None:
            raise Http404("No such application.")
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        return application

    def _reject_page(self, request, applications, form, *, single=False):
        """The intermediate step of rejecting: who, and a required reason for them."""
        ctx = {
            **self.admin_site.each_context(request),
            "title": "Reject application" if len(applications) == 1 else "Reject applications",
            "opts": self.model._meta,
            "applications": applications,
            "pending": [a for a in applications if a.is_pending],
            "decided": [a for a in applications if not a.is_pending],
            "form": form,
            "single": single,
            "action_name": "reject_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(
            request,
            "admin/reviews/application/reject.html",
            ctx,
            status=400 if form.errors else 200,
        )

    def _report(self, request, result: services.Decisions, *, verb: str) -> None:
        count = len(result.decided)
        if count:
            noun = "application" if count == 1 else "applications"
            self.message_user(request, f"{verb} {count} {noun}.", messages.SUCCESS)
        if result.skipped:
            names = ", ".join(
                f"{a.user} ({a.get_status_display().lower()})" for a in result.skipped
            )
            self.message_user(
                request,
                f"Skipped {len(result.skipped)} already decided: {names}.",
                messages.WARNING,
            )
        if result.refused:
            names = ", ".join(str(a.user) for a in result.refused)
            self.message_user(
                request,
                f"Not decided: {names} (your own account or one related to it). "
                "Another officer must decide it.",
                messages.ERROR,
            )
