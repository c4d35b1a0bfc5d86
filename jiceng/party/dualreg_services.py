"""Writes of dual registration, the service list, claims and service records, and pledges.

Registration (one state machine for organizations and members; REGISTRATION_TRANSITIONS):
    requested ──confirm──▶ confirmed ──revoke──▶ revoked
        │  ▲
     return └──resubmit── returned
Claim and its service record (CLAIM_TRANSITIONS):
    claimed ──record──▶ recorded ──confirm──▶ confirmed      (points are posted here)
       │                   └──return──▶ returned ──record──▶ recorded
       └──withdraw──▶ withdrawn ◀──withdraw── returned
Each move is one service: permission and scope checked, then in one transaction a conditional UPDATE on
(pk, version, state) that bumps the version, an append-only event, and the audit record. Of two concurrent
moves one wins and the other gets a clear conflict error, never a silent overwrite.

Notices (jiceng.notify.services.notify, in the same transaction; email after commit): work that waits for
the community (a registration requested or asked again, a service record submitted) goes to the
community's staff; a decision (confirmed, returned with its reason) goes to the member, or for an
organization's own registration to those who speak for it: its secretary and deputy secretary and the
community staff over its area. Not to the group
robots: these name one member and concern one community's desk, not the area's chat group.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts import roles
from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role, User
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.core.uploads import check_image
from jiceng.notify.services import chain_prefixes, notify

from .dualreg_models import (
    CLAIM_TRANSITIONS,
    REGISTRATION_TRANSITIONS,
    ClaimEvent,
    ClaimState,
    Pledge,
    Registration,
    RegistrationEvent,
    RegistrationKind,
    RegistrationState,
    ServiceCategory,
    ServiceClaim,
    ServiceItem,
)
from .models import Member, MemberCategory, PartyOrg, Position, PositionTitle
from .points_models import SourceKind
from .points_services import points_post_for_source
from .services import check_org_change

MAX_HOURS = Decimal("24")



def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _conflict(model, pk: int, labels) -> ValidationError:
    current = model.objects.filter(pk=pk).values_list("state", flat=True).first()
    label = labels(current).label if current else "?"
    return ValidationError(
        {"state": [_("This is now “%(state)s”; reload the page and try again.") % {"state": label}]}
    )


def _move(obj, *, event_model, fk: str, transitions, labels, to_state: str, version: int | None, actor,
          reason: str = "", **fields) -> None:
    """Move `obj` to `to_state` if the map allows it from the state (and version) it is in now, and append
    the event. Must run inside a transaction."""
    expected = obj.version if version is None else version
    fields.setdefault("reason", reason)  # the row keeps the reason of its last move (a return's, a revoke's)
    allowed_from = [s for s, targets in transitions.items() if to_state in targets]
    if obj.state not in allowed_from:
        raise ValidationError({"state": [_("This cannot be done in the state “%(state)s”.")
                                         % {"state": labels(obj.state).label}]})
    updated = type(obj).objects.filter(pk=obj.pk, version=expected, state__in=allowed_from).update(
        state=to_state, version=F("version") + 1, **fields
    )
    if not updated:
        raise _conflict(type(obj), obj.pk, labels)
    previous = obj.state
    obj.refresh_from_db()
    event_model.objects.create(**{fk: obj}, from_state=previous, to_state=to_state, version=obj.version,
                               actor=_user(actor), reason=reason, at=timezone.now(),
                               **({"hours": obj.hours} if event_model is ClaimEvent else {}))


def _reason(reason: str, *, required: bool, message: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": [message]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    return reason


# --- notices -------------------------------------------------------------------------------------------


def community_staff(community_path: str) -> list[User]:
    """The active staff of a community (community-staff grants on that very area): whose desk a
    registration or a service record waits on. One query."""
    return list(User.objects.filter(is_active=True, grants__role=Role.COMMUNITY_STAFF,
                                    grants__area__path=community_path).distinct())


def member_users(member_id: int | None) -> list[User]:
    """The member's own active account(s), if they have one."""
    if member_id is None:
        return []
    return list(User.objects.filter(is_active=True, person__member__pk=member_id))


def org_heads(org_id: int) -> list[User]:
    """The active accounts of an organization's secretary and deputy secretary (posts begun and not
    ended): who answers for its registration with a community. One query."""
    today = timezone.localdate()
    posts = Position.objects.held_on(today).filter(
        org_id=org_id, title__in=[PositionTitle.SECRETARY, PositionTitle.DEPUTY_SECRETARY])
    return list(User.objects.filter(is_active=True, person__positions__in=posts).distinct())


def org_staff(org_path: str) -> list[User]:
    """The active community staff over an organization's area (its own community's desk): who registers
    the organization and asks again after a return. One query."""
    return list(User.objects.filter(is_active=True, grants__role=Role.COMMUNITY_STAFF,
                                    grants__area__path__in=chain_prefixes(org_path)).distinct())


def _requester_name(reg: Registration) -> str:
    return reg.member.person.name if reg.member_id else reg.org.name


def notify_registration_waiting(reg: Registration) -> None:
    notify(users=community_staff(reg.community_path), kind="registration.requested",
           title=_("Registration to confirm: %(who)s") % {"who": _requester_name(reg)},
           body=_("%(who)s asks to register with %(community)s.") % {"who": _requester_name(reg),
                                                                     "community": reg.community.name},
           url=reverse("party:dualreg_registrations") + "?state=requested", robots=False)


def _notify_org_decided(reg: Registration) -> None:
    """An organization's registration decided: its staff get the list of its registrations; its secretary
    and deputy, who may hold only a member's account (no list to open), get the notice without a link."""
    names = {"org": reg.org.name, "community": reg.community.name}
    if reg.state == RegistrationState.CONFIRMED:
        title = _("The registration of %(org)s with %(community)s is confirmed") % names
        body = ""
    else:
        title = _("The registration of %(org)s with %(community)s was returned") % names
        body = _("Reason: %(reason)s") % {"reason": reg.reason}
    staff = org_staff(reg.org_path)
    staff_ids = {u.pk for u in staff}
    kind = f"registration.{reg.state}"
    notify(users=staff, kind=kind, title=title, body=body, robots=False,
           url=reverse("party:dualreg_registrations") + f"?kind={RegistrationKind.ORG}&org={reg.org_id}")
    notify(users=[u for u in org_heads(reg.org_id) if u.pk not in staff_ids], kind=kind, title=title, body=body,
           robots=False)


def notify_registration_decided(reg: Registration) -> None:
    if reg.member_id is None:
        _notify_org_decided(reg)
        return
    if reg.state == RegistrationState.CONFIRMED:
        title = _("Your registration with %(community)s is confirmed") % {"community": reg.community.name}
        body = ""
    else:
        title = _("Your registration with %(community)s was returned") % {"community": reg.community.name}
        body = _("Reason: %(reason)s") % {"reason": reg.reason}
    notify(users=member_users(reg.member_id), kind=f"registration.{reg.state}", title=title, body=body,
           url=reverse("party:dualreg_me"), robots=False)


def notify_record_waiting(claim: ServiceClaim) -> None:
    notify(users=community_staff(claim.community_path), kind="service_record.submitted",
           title=_("Service record to confirm: %(who)s, %(item)s") % {"who": claim.member.person.name,
                                                                      "item": claim.item.title},
           body=_("%(hours)s hours on %(day)s for %(beneficiary)s.") % {
               "hours": claim.hours, "day": f"{claim.served_on:%Y-%m-%d}", "beneficiary": claim.beneficiary},
           url=reverse("party:dualreg_records") + "?state=recorded", robots=False)


def notify_record_decided(claim: ServiceClaim) -> None:
    if claim.state == ClaimState.CONFIRMED:
        title = _("Your service record “%(item)s” is confirmed") % {"item": claim.item.title}
        body = _("%(hours)s hours on %(day)s.") % {"hours": claim.hours, "day": f"{claim.served_on:%Y-%m-%d}"}
    else:
        title = _("Your service record “%(item)s” was returned") % {"item": claim.item.title}
        body = _("Reason: %(reason)s") % {"reason": claim.reason}
    notify(users=member_users(claim.member_id), kind=f"service_record.{claim.state}", title=title, body=body,
           url=reverse("party:dualreg_me"), robots=False)


def member_for_actor(actor) -> Member:
    """The signed-in Party member acting for themselves, or PermissionDenied."""
    scope = scope_for(actor)
    person_id = getattr(actor, "person_id", None)
    if not scope.allows(roles.VIEW_SELF) or not person_id:
        raise PermissionDenied
    member = Member.objects.select_related("person__community", "org").filter(person_id=person_id).first()
    if member is None:
        raise PermissionDenied
    return member


# --- registration ------------------------------------------------------------------------------------


def _reg_move(reg: Registration, *, actor, to_state: str, version: int | None, reason: str = "", request=None,
              action: str, tell=None, **fields) -> Registration:
    with transaction.atomic():
        previous = reg.state
        _move(reg, event_model=RegistrationEvent, fk="registration", transitions=REGISTRATION_TRANSITIONS,
              labels=RegistrationState, to_state=to_state, version=version, actor=actor, reason=reason, **fields)
        audit_record(actor=actor, action=action, obj=reg, request=request, reason=reason,
                     changes={"from": previous, "to": to_state, "version": reg.version})
        if tell is not None:
            tell(reg)
    return reg


def _reg_create(*, actor, kind: str, org: PartyOrg, member: Member | None, community: Area, request) -> Registration:
    now = timezone.now()
    try:
        with transaction.atomic():
            reg = Registration.objects.create(
                kind=kind, org=org, member=member, community=community, community_path=community.path,
                org_path=org.area_path, state=RegistrationState.REQUESTED, requested_at=now,
            )
            RegistrationEvent.objects.create(registration=reg, from_state="", to_state=reg.state, version=1,
                                             actor=_user(actor), at=now)
            audit_record(actor=actor, action="registration.request", obj=reg, request=request,
                         changes={"kind": kind, "org": org.pk, "member": member.pk if member else None,
                                  "community": community.pk})
            notify_registration_waiting(reg)
    except IntegrityError as exc:
        message = (_("You are already registered, or waiting, in a community; revoke that first.") if member
                   else _("This organization is already registered with this community."))
        raise ValidationError({"community": [message]}) from exc
    return reg


def registration_request_member(*, actor, request=None) -> Registration:
    """An in-service member asks to register with the community where they live (their home's)."""
    member = member_for_actor(actor)
    if member.category != MemberCategory.IN_SERVICE:
        raise ValidationError({"member": [_("Only in-service members register where they live.")]})
    community = member.person.community
    if community is None:
        raise ValidationError({"community": [_("Your home building is not on record; ask your community.")]})
    return _reg_create(actor=actor, kind=RegistrationKind.MEMBER, org=member.org, member=member,
                       community=community, request=request)


def registration_request_org(*, actor, org: PartyOrg, community: Area, request=None) -> Registration:
    """A resident unit's Party organization asks to register with a community."""
    check_org_change(actor, org.area_path)
    errors: dict[str, list[str]] = {}
    if org.unit_id is None:
        errors["org"] = [_("Only a unit's own Party organization registers with a community.")]
    if community.kind != "community":
        errors["community"] = [_("Choose a community.")]
    if errors:
        raise ValidationError(errors)
    return _reg_create(actor=actor, kind=RegistrationKind.ORG, org=org, member=None, community=community,
                       request=request)


def registration_confirm(*, actor, registration: Registration, version: int | None = None,
                         request=None) -> Registration:
    """The community confirms a registration."""
    check_org_change(actor, registration.community_path)
    return _reg_move(registration, actor=actor, to_state=RegistrationState.CONFIRMED, version=version,
                     request=request, action="registration.confirm", decided_at=timezone.now(),
                     tell=notify_registration_decided)


def registration_return(*, actor, registration: Registration, reason: str, version: int | None = None,
                        request=None) -> Registration:
    """The community sends a request back, saying why."""
    check_org_change(actor, registration.community_path)
    reason = _reason(reason, required=True, message=_("Say why the registration is returned."))
    return _reg_move(registration, actor=actor, to_state=RegistrationState.RETURNED, version=version,
                     reason=reason, request=request, action="registration.return", decided_at=timezone.now(),
                     tell=notify_registration_decided)


def _may_act_as_requester(actor, registration: Registration) -> bool:
    if actor is None:
        return True
    if registration.member_id is not None:
        try:
            return member_for_actor(actor).pk == registration.member_id
        except PermissionDenied:
            pass
    scope = scope_for(actor)
    return scope.allows(roles.CHANGE_ORG) and scope.covers_path(registration.org_path)


def registration_resubmit(*, actor, registration: Registration, version: int | None = None,
                          request=None) -> Registration:
    """The member (or the workplace organization) asks again after a return."""
    if not _may_act_as_requester(actor, registration):
        raise PermissionDenied
    return _reg_move(registration, actor=actor, to_state=RegistrationState.REQUESTED, version=version,
                     request=request, action="registration.resubmit", decided_at=None,
                     tell=notify_registration_waiting)


def registration_revoke(*, actor, registration: Registration, reason: str = "", version: int | None = None,
                        request=None) -> Registration:
    """End a confirmed registration: by the community, the workplace organization or the member."""
    scope = scope_for(actor) if actor is not None else None
    community_side = scope is not None and scope.allows(roles.CHANGE_ORG) and scope.covers_path(
        registration.community_path)
    if not (community_side or _may_act_as_requester(actor, registration)):
        raise PermissionDenied
    reason = _reason(reason, required=False, message="")
    return _reg_move(registration, actor=actor, to_state=RegistrationState.REVOKED, version=version,
                     reason=reason, request=request, action="registration.revoke", decided_at=timezone.now())


# --- the service list ------------------------------------------------------------------------------------


def service_item_create(*, actor, community: Area, title: str, category: str, capacity: int, starts_on: date,
                        ends_on: date, description: str = "", request=None) -> ServiceItem:
    """The community publishes an item of its service list."""
    check_org_change(actor, community.path)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if community.kind != "community":
        errors["community"] = [_("Choose a community.")]
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title under 200 characters.")]
    if category not in ServiceCategory.values:
        errors["category"] = [_("Choose a valid category.")]
    if capacity is None or capacity < 1 or capacity > 10000:
        errors["capacity"] = [_("Give a capacity from 1 to 10000.")]
    if starts_on is None:
        errors["starts_on"] = [_("This field is required.")]
    if ends_on is None:
        errors["ends_on"] = [_("This field is required.")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The period cannot end before it starts.")]
    if len(description or "") > 5000:
        errors["description"] = [_("Keep this under %(n)s characters.") % {"n": 5000}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = ServiceItem.objects.create(
            community=community, community_path=community.path, title=title, category=category,
            capacity=capacity, starts_on=starts_on, ends_on=ends_on, description=description or "",
            created_by=_user(actor),
        )
        audit_record(actor=actor, action="service_item.create", obj=item, request=request,
                     changes={"community": community.pk, "capacity": capacity, "category": category})
    return item


def service_claim_create(*, actor, item: ServiceItem, request=None) -> ServiceClaim:
    """A member claims an item of the list of the community where they live or are registered. The place
    is taken by a conditional UPDATE (claimed < capacity), so concurrent claims never exceed the capacity."""
    member = member_for_actor(actor)
    from . import dualreg_selectors as sel

    if item.community_id not in sel.member_community_ids(member):
        raise PermissionDenied
    today = timezone.localdate()
    if item.ends_on < today:
        raise ValidationError({"item": [_("This item's period has ended.")]})
    now = timezone.now()
    try:
        with transaction.atomic():
            taken = ServiceItem.objects.filter(pk=item.pk, claimed__lt=F("capacity")).update(
                claimed=F("claimed") + 1)
            if not taken:
                raise ValidationError({"item": [_("Every place of this item is taken.")]})
            claim = ServiceClaim.objects.create(item=item, member=member, community_path=item.community_path,
                                                org_path=member.area_path, claimed_at=now)
            ClaimEvent.objects.create(claim=claim, from_state="", to_state=claim.state, version=1,
                                      actor=_user(actor), at=now)
            audit_record(actor=actor, action="service_claim.create", obj=claim, request=request,
                         changes={"item": item.pk, "member": member.pk})
    except IntegrityError as exc:
        raise ValidationError({"item": [_("You have already claimed this item.")]}) from exc
    item.refresh_from_db(fields=["claimed"])
    return claim


def _own_claim(actor, claim: ServiceClaim) -> None:
    if actor is not None and member_for_actor(actor).pk != claim.member_id:
        raise PermissionDenied


def service_claim_withdraw(*, actor, claim: ServiceClaim, version: int | None = None,
                           request=None) -> ServiceClaim:
    """The member gives the place back (before the service is recorded, or after a return)."""
    _own_claim(actor, claim)
    with transaction.atomic():
        previous = claim.state
        _move(claim, event_model=ClaimEvent, fk="claim", transitions=CLAIM_TRANSITIONS, labels=ClaimState,
              to_state=ClaimState.WITHDRAWN, version=version, actor=actor)
        ServiceItem.objects.filter(pk=claim.item_id).update(claimed=F("claimed") - 1)
        audit_record(actor=actor, action="service_claim.withdraw", obj=claim, request=request,
                     changes={"from": previous, "to": ClaimState.WITHDRAWN})
    return claim


def service_record_submit(*, actor, claim: ServiceClaim, served_on: date, hours, beneficiary: str, note: str = "",
                          photo: UploadedFile | None = None, version: int | None = None,
                          request=None) -> ServiceClaim:
    """The member records the service they gave for a claim (again, after a return): date, hours, who
    benefited, and a photo (checked by its content)."""
    _own_claim(actor, claim)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if served_on is None:
        errors["served_on"] = [_("This field is required.")]
    elif served_on > today:
        errors["served_on"] = [_("Service cannot be recorded on a future date.")]
    elif served_on < claim.item.starts_on:
        errors["served_on"] = [_("This is before the item's period starts.")]
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.1")) if hours not in (None, "") else None
    except (InvalidOperation, ValueError):
        hours = None
        errors["hours"] = [_("Give the hours as a number, like 1.5.")]
    if "hours" not in errors and (hours is None or hours <= 0 or hours > MAX_HOURS):
        errors["hours"] = [_("Give between 0.1 and 24 hours.")]
    beneficiary = (beneficiary or "").strip()
    if not beneficiary:
        errors["beneficiary"] = [_("Say who benefited.")]
    elif len(beneficiary) > 200:
        errors["beneficiary"] = [_("Keep this under %(n)s characters.") % {"n": 200}]
    if len(note or "") > 5000:
        errors["note"] = [_("Keep this under %(n)s characters.") % {"n": 5000}]
    photo_type = ""
    if photo is not None:
        try:
            photo_type = check_image(photo)
        except ValidationError as exc:
            errors["photo"] = exc.messages
    if errors:
        raise ValidationError(errors)
    fields = {"served_on": served_on, "hours": hours, "beneficiary": beneficiary, "note": note or "",
              "recorded_at": timezone.now(), "reason": ""}
    with transaction.atomic():
        previous = claim.state
        _move(claim, event_model=ClaimEvent, fk="claim", transitions=CLAIM_TRANSITIONS, labels=ClaimState,
              to_state=ClaimState.RECORDED, version=version, actor=actor, **fields)
        if photo is not None:
            # Stored after the move won, so a conflicting submit leaves no stray file on record.
            claim.photo.save(photo.name or "photo", photo, save=False)
            claim.photo_type = photo_type
            ServiceClaim.objects.filter(pk=claim.pk).update(photo=claim.photo.name, photo_type=photo_type)
        audit_record(actor=actor, action="service_record.submit", obj=claim, request=request,
                     changes={"from": previous, "to": ClaimState.RECORDED, "served_on": served_on.isoformat(),
                              "hours": str(hours), "photo": bool(photo)})
        notify_record_waiting(claim)
    return claim


def service_claim_confirm(*, actor, claim: ServiceClaim, version: int | None = None, request=None) -> ServiceClaim:
    """The community confirms a recorded service, and its points are posted in the same transaction (the
    confirmation is the verified event the points rulebook counts per hour)."""
    check_org_change(actor, claim.community_path)
    with transaction.atomic():
        _move(claim, event_model=ClaimEvent, fk="claim", transitions=CLAIM_TRANSITIONS, labels=ClaimState,
              to_state=ClaimState.CONFIRMED, version=version, actor=actor, confirmed_at=timezone.now(),
              confirmed_by=_user(actor))
        audit_record(actor=actor, action="service_record.confirm", obj=claim, request=request,
                     changes={"from": ClaimState.RECORDED, "to": ClaimState.CONFIRMED, "hours": str(claim.hours)})
        points_post_for_source(actor=actor, source_kind=SourceKind.SERVICE_RECORD, source_id=claim.pk,
                               member=claim.member, at=claim.served_on, quantity=claim.hours, request=request)
        notify_record_decided(claim)
    return claim


def service_claim_return(*, actor, claim: ServiceClaim, reason: str, version: int | None = None,
                         request=None) -> ServiceClaim:
    """The community returns a recorded service to the member, saying why."""
    check_org_change(actor, claim.community_path)
    reason = _reason(reason, required=True, message=_("Say why the record is returned."))
    with transaction.atomic():
        _move(claim, event_model=ClaimEvent, fk="claim", transitions=CLAIM_TRANSITIONS, labels=ClaimState,
              to_state=ClaimState.RETURNED, version=version, actor=actor, reason=reason)
        audit_record(actor=actor, action="service_record.return", obj=claim, request=request, reason=reason,
                     changes={"from": ClaimState.RECORDED, "to": ClaimState.RETURNED})
        notify_record_decided(claim)
    return claim


# --- pledges -------------------------------------------------------------------------------------------


def pledge_make(*, actor, text: str, due_on: date, request=None) -> Pledge:
    """A member makes a public pledge to the community where they live."""
    member = member_for_actor(actor)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("This field is required.")]
    elif len(text) > 500:
        errors["text"] = [_("Keep this under %(n)s characters.") % {"n": 500}]
    if due_on is None:
        errors["due_on"] = [_("This field is required.")]
    elif due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    community = member.person.community
    if community is None:
        errors["text"] = [_("Your home building is not on record; ask your community.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pledge = Pledge.objects.create(member=member, community=community, community_path=community.path,
                                       org_path=member.area_path, text=text, due_on=due_on)
        audit_record(actor=actor, action="pledge.make", obj=pledge, request=request,
                     changes={"due_on": due_on.isoformat()})
    return pledge


def pledge_fulfil(*, actor, pledge: Pledge, fulfilment: str, fulfilled_on: date, request=None) -> Pledge:
    """The member records how the pledge was kept (践诺)."""
    if actor is not None and member_for_actor(actor).pk != pledge.member_id:
        raise PermissionDenied
    fulfilment = (fulfilment or "").strip()
    errors: dict[str, list[str]] = {}
    if not fulfilment:
        errors["fulfilment"] = [_("Say how the pledge was kept.")]
    elif len(fulfilment) > 500:
        errors["fulfilment"] = [_("Keep this under %(n)s characters.") % {"n": 500}]
    if fulfilled_on is None:
        errors["fulfilled_on"] = [_("This field is required.")]
    elif fulfilled_on > timezone.localdate():
        errors["fulfilled_on"] = [_("This cannot be a future date.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not Pledge.objects.filter(pk=pledge.pk, fulfilled_on__isnull=True).update(
                fulfilled_on=fulfilled_on, fulfilment=fulfilment):
            raise ValidationError({"fulfilment": [_("This pledge is already recorded as kept.")]})
        pledge.fulfilled_on, pledge.fulfilment = fulfilled_on, fulfilment
        audit_record(actor=actor, action="pledge.fulfil", obj=pledge, request=request,
                     changes={"fulfilled_on": fulfilled_on.isoformat()})
    return pledge
