"""The data exchange pages: import a workbook, download an export or a blank template.

Each view checks the permission (missing permission reads as 404, like out of scope), calls one
service of jiceng.core.exchange, and renders.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.accounts import roles
from jiceng.accounts.scope import scope_for
from jiceng.core.excel import XLSX

from .exchange import KINDS
from .exchange.exporting import workbook_export, workbook_template
from .exchange.formats import FORMATS
from .exchange.importing import workbook_import

# The error table shows this many problems; the rest are counted (the file needs fixing either way).
SHOWN_ERRORS = 500


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=())
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, FORMATS[k].title) for k in KINDS]
        self.fields["file"].widget.attrs["accept"] = ".xlsx," + XLSX

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(limit)s may be imported at once.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.MAX_IMPORT_BYTES)}
            )
        return upload


def _require(request: HttpRequest, permission: str) -> None:
    if not scope_for(request.user).allows(permission):
        raise Http404


def _kind_or_404(kind: str) -> str:
    if kind not in FORMATS:
        raise Http404
    return kind


def _xlsx(content: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-{stamp}.xlsx")
    return response


def _downloads(request: HttpRequest) -> list[dict]:
    scope = scope_for(request.user)
    return [{"kind": kind, "title": FORMATS[kind].title, "export": scope.allows(roles.EXPORT)} for kind in KINDS]


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    _require(request, roles.IMPORT)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            kind = form.cleaned_data["kind"]
            result = workbook_import(
                actor=request.user, kind=kind, content=upload.read(), filename=upload.name, request=request
            )
            if result.ok:
                messages.success(
                    request,
                    _("Imported %(n)d rows of %(what)s from %(file)s.")
                    % {"n": result.created, "what": FORMATS[kind].title, "file": upload.name},
                )
                return redirect("core:import")
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind", KINDS[0])})
    context = {
        "form": form,
        "result": result,
        "shown_errors": result.errors[:SHOWN_ERRORS] if result else [],
        "hidden_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "downloads": _downloads(request),
        "max_bytes": settings.MAX_IMPORT_BYTES,
    }
    return render(request, "core/import.html", context, status=200)


@login_required
@require_GET
def export_view(request: HttpRequest, kind: str) -> HttpResponse:
    _require(request, roles.EXPORT)
    kind = _kind_or_404(kind)
    export = workbook_export(actor=request.user, kind=kind, request=request)
    return _xlsx(export.content, str(FORMATS[kind].title))


@login_required
@require_GET
def template_view(request: HttpRequest, kind: str) -> HttpResponse:
    _require(request, roles.IMPORT)
    kind = _kind_or_404(kind)
    return _xlsx(workbook_template(kind=kind), _("%(what)s template") % {"what": FORMATS[kind].title})
