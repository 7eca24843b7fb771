"""The review queue: compliance staff decide API-trading applications here.

Nothing on an application is edited by hand: approving and rejecting go through
``services.decide_application``, which records who decided, when and why, refuses a
second decision, and e-mails the trader.
"""

import csv

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.services import total_usdt
from accounts.templatetags.money import usdt

from . import desk, services
from .forms import REJECTION_TEMPLATES, FreezeForm, NoteForm, RejectForm
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


class StatusFilter(admin.SimpleListFilter):
    """The queue opens on what is left to decide ("Under review"); "All" shows the
    decided ones too. Same parameter as the plain status filter, so links keep working."""

    title = "status"
    parameter_name = "status__exact"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Application.Status.choices, (self.ALL, "All")]

    def value(self):
        return super().value() or Application.Status.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() in Application.Status.values:
            return queryset.filter(status=self.value())
        return queryset


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    # What compliance decides by comes first: the SLA and the due date.
    # The queue fits 1280 px: what compliance decides by, nothing more.
    list_display = ["account", "status_badge", "submitted", "due", "sla_badge", "fast", "balance"]
    list_display_links = ["account"]
    list_filter = [StatusFilter, "fast_track", SLAFilter]
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
        "purpose",
        "platform",
        "monthly_volume",
        "servers",
        "strategy",
    ]
    change_form_template = "admin/reviews/application/change_form.html"

    class Media:
        css = {"all": ["reviews/admin.css"]}
        js = ["reviews/reject.js"]

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
        # A long name or address is cut with an ellipsis; the whole of it is in the title.
        name, email = str(obj.user), obj.user.email
        return format_html(
            '<strong class="rv-cut" title="{}">{}</strong>'
            '<span class="rv-email rv-cut" title="{}">{}</span>',
            name,
            name,
            email,
            email,
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

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted(self, obj):
        # Two short lines, so that the queue fits 1280 px beside the admin's sidebars.
        at = timezone.localtime(obj.submitted_at)
        return format_html(
            '{}<span class="rv-email">{} UTC</span>',
            date_format(at, "j M Y"),
            date_format(at, "H:i"),
        )

    @admin.display(description="Due", ordering="due_on")
    def due(self, obj):
        return format_html(
            '{}<span class="rv-email">{}</span>',
            date_format(obj.due_on, "j M Y"),
            date_format(obj.due_on, "l"),
        )

    @admin.display(description="SLA", ordering="sla_rank")
    def sla_badge(self, obj):
        state = obj.sla_state(timezone.localdate())
        if state is None:
            return self.get_empty_value_display()
        return format_html(
            '<span class="rv-badge rv-{}">{}</span>', SLA_BADGE[state], SLA(state).label
        )

    sla = sla_badge

    @admin.display(description="Balance (USDT)")
    def balance(self, obj):
        return self.balance_now(obj)

    @admin.display(description="Fast", ordering="fast_track")
    def fast(self, obj):
        # A tick for the fast track; nothing for the standard one, which is no error.
        if not obj.fast_track:
            return "—"
        return format_html('<img src="{}" alt="Fast track">', static("admin/img/icon-yes.svg"))

    @admin.display(description="Servers' IPs")
    def servers(self, obj):
        return obj.server_ips or "Not known yet"

    # --- Deciding -------------------------------------------------------------

    @admin.action(description="Approve selected applications…", permissions=["change"])
    def approve_selected(self, request, queryset):
        applications = list(queryset.select_related("user"))
        if "approve" in request.POST:
            result = services.decide_applications(
                applications=applications, approve=True, decided_by=request.user
            )
            self._report(request, result, verb="Approved")
            return None
        # The confirmation page: what will be approved, and what will not and why.
        to_decide, decided, own = _split(request.user, applications)
        ctx = {
            **self.admin_site.each_context(request),
            "title": "Approve applications",
            "opts": self.model._meta,
            "applications": applications,
            "approvable": to_decide,
            "decided": decided,
            "own": own,
            "action_name": "approve_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/reviews/application/approve.html", ctx)

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
            path(
                "<path:object_id>/note/",
                view(require_POST(self.note_view)),
                name="reviews_application_note",
            ),
            path("dashboard/", view(self.dashboard_view), name="reviews_application_dashboard"),
            path("export.csv", view(self.export_view), name="reviews_application_export"),
            path(
                "account/<int:user_id>/freeze/",
                view(self.freeze_view),
                name="reviews_account_freeze",
            ),
            *super().get_urls(),
        ]

    def note_view(self, request, object_id):
        application = self._application_to_decide(request, object_id)
        form = NoteForm(request.POST)
        if not form.is_valid():
            # The page again, the officer's text in the box with its error: nothing lost.
            request.method = "GET"  # the application's page is shown, not its form saved
            response = self.change_view(request, object_id, extra_context={"note_form": form})
            response.status_code = 400
            return response
        try:
            services.add_note(
                application=application, author=request.user, text=form.cleaned_data["text"]
            )
        except (services.AlreadyDecided, services.OwnApplication) as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(request, "Note added.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:reviews_application_change", args=[application.pk])
        )

    def dashboard_view(self, request):
        if not services.is_compliance(request.user):
            raise PermissionDenied
        figures = desk.sla_figures()
        ctx = {
            **self.admin_site.each_context(request),
            "title": "Review SLA dashboard",
            "opts": self.model._meta,
            "figures": figures,
            "chart": desk.chart(figures["weeks"]),
            "sla_days": (
                services.review_days(fast_track=True),
                services.review_days(fast_track=False),
            ),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/reviews/application/dashboard.html", ctx)

    def export_view(self, request):
        """The queue as CSV, with the changelist's filters, search and order applied."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="review-queue.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["account", "email", "status", "submitted (UTC)", "due", "sla", "fast track",
             "balance at submission (USDT)", "balance now (USDT)"]
        )  # fmt: skip
        today = timezone.localdate()
        for a in changelist.get_queryset(request):
            writer.writerow(
                [
                    _cell(a.user.username),
                    _cell(a.user.email),
                    a.status,
                    timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    a.due_on.isoformat(),
                    a.sla_state(today) or "",
                    "yes" if a.fast_track else "no",
                    usdt(a.balance_usdt),
                    usdt(total_usdt(a.user.balances.all())),
                ]
            )
        return response

    def freeze_view(self, request, user_id):
        """Freeze or unfreeze an account (its sub-accounts' and all their keys with it)."""
        if not services.is_compliance(request.user):
            raise PermissionDenied
        account = get_object_or_404(get_user_model(), pk=user_id, parent=None)
        if services.related_account_refusal(officer=request.user, account=account):
            raise PermissionDenied
        form = FreezeForm(
            request.POST if request.method == "POST" else None,
            initial={"state": "active" if account.is_frozen else "frozen"},
        )
        if form.is_valid():
            frozen = form.cleaned_data["state"] == "frozen"
            if frozen == account.is_frozen:
                state = "frozen" if frozen else "not frozen"
                # "Account …" first: the admin capitalises a message's first letter, and
                # a username is shown exactly as it is.
                said = f"Account {account} is already {state}; nothing changed."
                self.message_user(request, said)
            else:
                services.set_frozen(
                    account=account,
                    frozen=frozen,
                    officer=request.user,
                    reason=form.cleaned_data["reason"],
                )
                state = "frozen" if account.is_frozen else "unfrozen"
                self.message_user(request, f"Account {account} is {state}.", messages.SUCCESS)
            return HttpResponseRedirect(_application_page(request.GET.get("application", "")))
        ctx = {
            **self.admin_site.each_context(request),
            "title": f"{'Unfreeze' if account.is_frozen else 'Freeze'} {account}",
            "opts": self.model._meta,
            "account": account,
            "subaccounts": list(account.subaccounts.order_by("username")),
            "form": form,
            "back": _application_page(request.GET.get("application", "")),
            "media": self.media,
        }
        return TemplateResponse(
            request,
            "admin/reviews/application/freeze.html",
            ctx,
            status=400 if form.errors else 200,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Choose an application to review",
            **(extra_context or {}),
            "can_see_dashboard": services.is_compliance(request.user),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: the decision buttons replace "Save", and a "Save"
        # posted anyway (a decided application's above all) changes and logs nothing.
        if request.method == "POST":
            raise PermissionDenied
        application = self.get_object(request, object_id)
        extra_context = {
            "note_form": NoteForm(),
            # Nothing here is changed by hand: the officer reviews and decides.
            "title": "Review application",
            **(extra_context or {}),
            "own_refusal": application
            and services.own_application_refusal(reviewer=request.user, application=application),
            "profile": application and desk.applicant_profile(application),
            "can_freeze": services.is_compliance(request.user),
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
        to_decide, decided, own = _split(request.user, applications)
        ctx = {
            **self.admin_site.each_context(request),
            "title": "Reject application" if len(applications) == 1 else "Reject applications",
            "opts": self.model._meta,
            "applications": applications,
            "pending": to_decide,
            "decided": decided,
            "own": own,
            "form": form,
            "single": single,
            # "No, take me back": to the application rejected from its page, else the queue.
            "back": _application_page(str(applications[0].pk) if single else ""),
            "action_name": "reject_selected",
            "templates": REJECTION_TEMPLATES,
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


def _application_page(application_id: str) -> str:
    """Where "back" goes from a page opened from an application: to it, else the queue."""
    if application_id.isdigit():
        return reverse("admin:reviews_application_change", args=[application_id])
    return reverse("admin:reviews_application_changelist")


def _split(reviewer, applications) -> tuple[list, list, list]:
    """What a bulk decision's confirmation lists: the applications it will decide, those
    decided already, and those ``reviewer`` may not decide (``own_application_refusal``)."""
    to_decide, decided, own = [], [], []
    for application in applications:
        if not application.is_pending:
            decided.append(application)
        elif services.own_application_refusal(reviewer=reviewer, application=application):
            own.append(application)
        else:
            to_decide.append(application)
    return to_decide, decided, own


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: make it text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
