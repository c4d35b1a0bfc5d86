"""Receiving the 12345 hotline's work orders (from an imported file or pushed one by one).

One ticket number is one case, ever: receiving a ticket already received returns its case and
changes nothing. The case is reported through `case_report` (channel `hotline_12345`, the ticket as
`source_ref`), so routing, deadlines, events and audit are those of every other channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from jiceng.accounts.audit import audit_record
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area

from . import workflow
from .case_models import Case, CaseChannel, CaseState
from .case_services import case_report, case_route
from .hotline_models import HotlineTicket
from .models import Category, Urgency

# Areas a work order may name as its place without a building or a point: a grid, or a compound in one,
# places the case; a subdistrict or community only tells whose it is (the case waits in triage).
PLACING_KINDS = ("grid", "compound")


@dataclass(frozen=True)
class HotlineOrder:
    """One work order as the city platform describes it, already read and checked field by field."""

    ticket: str
    received_at: datetime
    category: Category
    description: str
    request_type: str = ""
    urgency: str = Urgency.NORMAL
    address: str = ""
    area: Area | None = None  # 所属街道/社区: a subdistrict, community, grid or compound
    building: Area | None = None
    lat: float | None = None
    lng: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    due_at: datetime | None = None


def hotline_case(ticket: str) -> Case | None:
    """The case a ticket became, if it was received already (the ticket is the city's key, not ours)."""
    row = HotlineTicket.objects.select_related("case").filter(ticket=ticket.strip()).first()
    return row.case if row else None


def hotline_tickets_known(tickets: list[str]) -> set[str]:
    """Which of these tickets were received already (chunked: SQLite limits the parameters of a query)."""
    known: set[str] = set()
    wanted = sorted(set(tickets))
    for start in range(0, len(wanted), 500):
        known.update(HotlineTicket.objects.filter(ticket__in=wanted[start:start + 500])
                     .values_list("ticket", flat=True))
    return known


@sensitive_variables("order")
def hotline_receive(*, actor, order: HotlineOrder, via: str, source_file: str = "",
                    request=None) -> tuple[Case, bool]:
    """Report the work order as a case, or return the case it already became. Returns (case, created)."""
    existing = hotline_case(order.ticket)
    if existing is not None:
        return existing, False
    scope = scope_for(actor)
    if order.area is not None and not scope.covers_path(order.area.path):
        message = _("No area with code %(code)s within your scope.") % {"code": order.area.code}
        raise ValidationError({"area": [message]})
    try:
        with transaction.atomic():
            case = case_report(
                actor=actor, channel=CaseChannel.HOTLINE_12345, category=order.category,
                description=order.description, lat=order.lat, lng=order.lng, building=order.building,
                reporter_name=order.reporter_name, reporter_phone=order.reporter_phone, source_ref=order.ticket,
                urgency=order.urgency, address=order.address, request=request,
            )
            HotlineTicket.objects.create(
                ticket=order.ticket, case=case, received_at=order.received_at, request_type=order.request_type,
                due_at=order.due_at, area_hint=order.area.name[:100] if order.area else "", via=via,
                source_file=source_file[-100:],
            )
            placing = order.area if order.area is not None and order.area.kind in PLACING_KINDS else None
            if (placing is not None and case.state == CaseState.TRIAGE and order.building is None
                    and order.lat is None and workflow.may_act(scope, case, "route")):
                case = case_route(actor=actor, case=case, area=placing, expected_version=case.version,
                                  note=_("Placed by the hotline's work order."), request=request)
            audit_record(actor=actor, action="hotline.receive", obj=case, request=request,
                         changes={"ticket": order.ticket, "number": case.number, "via": via})
    except IntegrityError:
        # The same ticket received at the same moment by another import or push: theirs stands.
        existing = hotline_case(order.ticket)
        if existing is None:
            raise
        return existing, False
    return case, True
