"""Party meeting pages: the list in scope, planning, one meeting (attendance, files, submit, review), an
organization's compliance calendar (with exemptions), the subtree roll-up per quarter, and attendance
lapses. Views validate, call one service or selector, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate

from . import meeting_selectors as sel
from . import meeting_services
from .forms import DateInput
from .meeting_models import MeetingKind, MeetingState, Period
from .views import _apply_errors, _export, can_export

MIN_YEAR = 2008


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or sel.today_local().year)
    except ValueError:
        raise Http404 from None
    if not MIN_YEAR <= year <= 2100:
        raise Http404
    return year


def _years() -> list[int]:
    return list(range(sel.today_local().year + 1, MIN_YEAR - 1, -1))


class FilterForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("Organization"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds")), *MeetingKind.choices])
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", gettext_lazy("All states")), *MeetingState.choices])
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=MIN_YEAR, max_value=2100)

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", _("All organizations")), *((o.pk, o.name) for o in orgs)]


class PlanForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("Organization"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MeetingKind.choices)
    planned_on = forms.DateField(label=gettext_lazy("Planned on"), widget=DateInput())
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    topics = forms.CharField(label=gettext_lazy("Topics"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, o.name) for o in orgs]


class HeldForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DateInput())
    chair = forms.TypedChoiceField(label=gettext_lazy("Chair"), coerce=int, required=False, empty_value=None)
    recorder = forms.TypedChoiceField(label=gettext_lazy("Recorder"), coerce=int, required=False, empty_value=None)
    topics = forms.CharField(label=gettext_lazy("Topics"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    decisions = forms.CharField(label=gettext_lazy("Decisions"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((p.pk, p.name) for p in people)]
        self.fields["chair"].choices = choices
        self.fields["recorder"].choices = choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachForm(forms.Form):
    files = forms.FileField(label=gettext_lazy("Photos or PDF files"), required=False, widget=MultipleFileInput(
        attrs={"multiple": True, "accept": "image/jpeg,image/png,image/webp,application/pdf"}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("send_back", gettext_lazy("Send back"))]
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


class ExemptionForm(forms.Form):
    meeting_kind = forms.ChoiceField(label=gettext_lazy("Meeting kind"), choices=MeetingKind.choices)
    day = forms.DateField(label=gettext_lazy("A day in the period"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


def _changeable_orgs(user):
    return [o for o in sel.visible_orgs(user) if sel.can_change(user, o.area_path)]


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    if not sel.can_view(request.user):
        raise Http404
    orgs = list(sel.visible_orgs(request.user).only("id", "name", "path"))
    form = FilterForm(request.GET or None, orgs=orgs)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = sel.meeting_list(request.user, org_id=filters.get("org"), kind=filters.get("kind") or "",
                          state=filters.get("state") or "", year=filters.get("year"))
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [
            (m.org.name, m.get_kind_display(), m.title, m.planned_on, m.held_on, m.get_state_display(),
             m.chair.name if m.chair else "", m.recorder.name if m.recorder else "",
             f"{m.quorum_present}/{m.quorum_base}" if m.held_on else "",
             _("Yes") if m.quorum_met and m.held_on else _("No") if m.held_on else "")
            for m in qs
        ]
        _export(request, action="meeting.export", rows=len(rows), filters={k: str(v) for k, v in filters.items()})
        headers = [_("Organization"), _("Kind"), _("Title"), _("Planned on"), _("Held on"), _("State"), _("Chair"),
                   _("Recorder"), _("Present towards quorum"), _("Quorum met")]
        return xlsx_response("meetings", _("Meetings"), headers, rows)
    page = paginate(request, qs)
    return render(request, "party/meetings/list.html", {
        "form": form, "page": page, "can_export": can_export(request),
        "can_plan": scope_for(request.user).allows(roles.CHANGE_ORG),
    })


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    orgs = _changeable_orgs(request.user) if sel.can_view(request.user) else []
    if not orgs:
        raise Http404
    initial = {"planned_on": sel.today_local(), "org": request.GET.get("org")}
    form = PlanForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = next(o for o in orgs if o.pk == data["org"])
        try:
            meeting = meeting_services.meeting_plan(
                actor=request.user, org=org, kind=data["kind"], planned_on=data["planned_on"],
                title=data["title"], topics=data["topics"], request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Meeting planned."))
            return redirect("party:meeting_detail", meeting_id=meeting.pk)
    return render(request, "party/meetings/new.html", {"form": form})


def _attendance_from_post(request: HttpRequest, members) -> list[dict]:
    present = set(request.POST.getlist("present"))
    return [
        {"member_id": m.pk, "present": str(m.pk) in present,
         "absence_reason": request.POST.get(f"reason_{m.pk}", "")}
        for m in members
    ]


@login_required
@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """One meeting; a POST with `action` = record / attach / submit / review runs that service."""
    meeting = sel.meeting_get(request.user, meeting_id, request=request)
    can_change = sel.can_change(request.user, meeting.area_path)
    can_review = sel.can_review(request.user, meeting)
    members = list(sel.eligible_members(meeting.org))
    people = {m.person.pk: m.person for m in members}
    held_form = HeldForm(initial={"held_on": meeting.held_on or meeting.planned_on, "topics": meeting.topics,
                                  "minutes": meeting.minutes, "decisions": meeting.decisions,
                                  "chair": meeting.chair_id, "recorder": meeting.recorder_id},
                         people=people.values())
    review_form = ReviewForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("record", "attach", "submit") and not can_change or action == "review" and not can_review:
            raise Http404
        try:
            if action == "attach":
                meeting_services.meeting_attachments_add(actor=request.user, meeting=meeting,
                                                         files=request.FILES.getlist("files"), request=request)
                messages.success(request, _("Files kept with the meeting."))
                return redirect("party:meeting_detail", meeting_id=meeting.pk)
            elif action == "record":
                held_form = HeldForm(request.POST, people=people.values())
                if held_form.is_valid():
                    d = held_form.cleaned_data
                    meeting_services.meeting_record_held(
                        actor=request.user, meeting=meeting, held_on=d["held_on"],
                        attendance=_attendance_from_post(request, members), minutes=d["minutes"],
                        decisions=d["decisions"], topics=d["topics"], chair=people.get(d["chair"]),
                        recorder=people.get(d["recorder"]), request=request,
                    )
                    messages.success(request, _("Meeting recorded as held."))
                    return redirect("party:meeting_detail", meeting_id=meeting.pk)
            elif action == "submit":
                meeting_services.meeting_submit(actor=request.user, meeting=meeting, request=request)
                messages.success(request, _("Meeting submitted for review."))
                return redirect("party:meeting_detail", meeting_id=meeting.pk)
            elif action == "review":
                review_form = ReviewForm(request.POST)
                if review_form.is_valid():
                    d = review_form.cleaned_data
                    meeting_services.meeting_review(actor=request.user, meeting=meeting,
                                                    approve=d["decision"] == "approve", reason=d["reason"],
                                                    request=request)
                    messages.success(request, _("Review recorded."))
                    return redirect("party:meeting_detail", meeting_id=meeting.pk)
            else:
                messages.error(request, _("Unknown action."))
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            form = review_form if action == "review" else held_form
            if action in ("submit", "attach") or not form.is_bound:
                for errors in exc.message_dict.values():
                    for error in errors:
                        messages.error(request, error)
            else:
                _apply_errors(form, exc)
    rows = {r.member_id: r for r in sel.attendance_rows(meeting)}
    attendance = [(m, rows.get(m.pk)) for m in members]
    return render(request, "party/meetings/detail.html", {
        "meeting": meeting, "attendance": attendance, "held_form": held_form, "review_form": review_form,
        "attachments": sel.meeting_attachments(meeting), "attach_form": AttachForm(),
        "can_change": can_change, "can_review": can_review, "states": MeetingState,
        "recordable": meeting.state in meeting_services.RECORDABLE,
    })


@login_required
@require_GET
def meeting_attachment(request: HttpRequest, meeting_id: int, attachment_id: int) -> HttpResponse:
    """A file kept with a meeting, served only to those who may see the meeting."""
    attachment = sel.meeting_attachment_get(request.user, meeting_id, attachment_id, request=request)
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                        as_attachment=attachment.content_type == "application/pdf", filename=attachment.name)


@login_required
@require_http_methods(["GET", "POST"])
def compliance(request: HttpRequest, org_id: int) -> HttpResponse:
    """An organization's compliance calendar for a year; the higher organization grants exemptions here.
    The organization's own secretary (or deputy, or group leader) reads it even with a member's account."""
    org = sel.compliance_org_get(request.user, org_id, request=request)
    year = _year(request)
    can_exempt = sel.can_change(request.user, sel.review_path(org))
    form = ExemptionForm(request.POST or None)
    if request.method == "POST":
        if not can_exempt:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                meeting_services.exemption_grant(actor=request.user, org=org, meeting_kind=d["meeting_kind"],
                                                 day=d["day"], reason=d["reason"], request=request)
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Exemption granted."))
                return redirect(f"{request.path}?year={d['day'].year}")
    calendar = sel.compliance_calendar(org, year)
    if request.method == "GET" and request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        periods = dict(Period.choices)
        rows = [(org.name, r.kind_label, str(periods.get(r.period, r.period)), c.span.label, c.span.start, c.span.end,
                 c.expected, c.held, c.label) for r in calendar.rows for c in r.cells]
        _export(request, action="meeting.compliance_export", obj=org, rows=len(rows), filters={"year": year})
        return xlsx_response(f"meeting-calendar-{year}", _("Compliance calendar"),
                             [_("Organization"), _("Meeting kind"), _("Period"), _("Interval"), _("Period start"),
                              _("Period end"), _("Expected"), _("Held"), _("Status")], rows)
    return render(request, "party/meetings/compliance.html", {
        "org": org, "year": year, "years": _years(), "calendar": calendar, "form": form,
        "can_exempt": can_exempt, "months": range(1, 13), "quarters": range(1, 5),
        "can_plan": sel.can_change(request.user, org.area_path), "can_export": can_export(request),
        "can_list": sel.can_view(request.user),
    })


# The page lists at most this many organizations behind; the export has them all.
ROLLUP_BEHIND_SHOWN = 100


@login_required
@require_GET
def rollup(request: HttpRequest) -> HttpResponse:
    if not sel.can_view(request.user):
        raise Http404
    year = _year(request)
    try:
        quarter = int(request.GET.get("quarter") or sel.quarter_of(sel.today_local()))
    except ValueError:
        raise Http404 from None
    if not 1 <= quarter <= 4:
        raise Http404
    root = None
    if request.GET.get("org"):
        try:
            root = sel.org_get(request.user, int(request.GET["org"]), request=request)
        except ValueError:
            raise Http404 from None
    data = sel.compliance_rollup(request.user, year, quarter, root=root)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [(r.org.name, *(str(sel.STATUS_LABELS[r.cells[k]]) if r.cells.get(k) else "" for k in data.kinds),
                 r.behind) for r in data.rows]
        _export(request, action="meeting.rollup_export", rows=len(rows), filters={"year": year, "quarter": quarter})
        return xlsx_response(f"meeting-compliance-{year}-Q{quarter}", _("Meeting compliance"),
                             [_("Organization"), *data.kind_labels, _("Periods missing")], rows)
    # The page folds the tree to one level (drill down by following a group) and lists who is behind
    # most; the Excel export keeps every organization.
    groups = [(g, [g.cells.get(k, "") for k in data.kinds]) for g in sel.rollup_groups(data, root)]
    behind = sorted((r for r in data.rows if r.behind), key=lambda r: (-r.behind, r.org.path))
    own = next((r for r in data.rows if root is not None and r.org.pk == root.pk), None)
    return render(request, "party/meetings/rollup.html", {
        "data": data, "groups": groups, "years": _years(), "quarters": range(1, 5),
        "own": (own, [own.cells.get(k, "") for k in data.kinds]) if own else None,
        "behind": [(r, [r.cells.get(k, "") for k in data.kinds]) for r in behind[:ROLLUP_BEHIND_SHOWN]],
        "behind_total": len(behind), "behind_shown": ROLLUP_BEHIND_SHOWN,
        "can_export": can_export(request), "labels": sel.STATUS_LABELS, "root": root,
    })


@login_required
@require_GET
def lapses(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not (scope.allows(roles.VIEW_ORG) and scope.allows(roles.VIEW_PEOPLE)):
        raise Http404
    items = sel.attendance_lapses(request.user)
    if request.GET.get("format") == "xlsx":
        if not can_export(request):
            raise Http404
        rows = [(x.member.person.name, x.member.org.name, x.since, _("Yes") if x.attended else _("No"),
                 x.level_label, _("Yes") if x.dues_lapsed else _("No")) for x in items]
        _export(request, action="meeting.lapses_export", rows=len(rows), filters={})
        return xlsx_response("attendance-lapses", _("Attendance lapses"),
                             [_("Member"), _("Organization"), _("Since"), _("Ever attended"), _("Level"),
                              _("Dues lapsed")], rows)
    return render(request, "party/meetings/lapses.html", {"items": items, "can_export": can_export(request)})
