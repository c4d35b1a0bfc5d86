"""Dual registration (双报到), the community's service list with claims and service records (服务清单认领,
服务记实), and public pledges (承诺践诺).

A registration ties a workplace Party organization (a resident unit's) or one of its in-service members to
the community where it sits or where the member lives. A claim ties a member to an item of a community's
service list and carries the service record the member gives for it. Both move only by the declared
transitions below; each move is one service (jiceng/party/dualreg_services.py) that bumps `version` with a
conditional UPDATE and appends an event, so the current state always equals the last event's `to_state`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "CLAIM_TRANSITIONS",
    "REGISTRATION_TRANSITIONS",
    "ClaimEvent",
    "ClaimState",
    "Pledge",
    "Registration",
    "RegistrationEvent",
    "RegistrationKind",
    "RegistrationState",
    "ServiceCategory",
    "ServiceClaim",
    "ServiceItem",
]


class RegistrationKind(models.TextChoices):
    ORG = "org", _("Organization registration")
    MEMBER = "member", _("Member registration")


class RegistrationState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    RETURNED = "returned", pgettext_lazy("dual registration", "Returned")
    REVOKED = "revoked", pgettext_lazy("dual registration", "Revoked")


# The only moves a registration may make; anything else is refused by the services.
REGISTRATION_TRANSITIONS: dict[str, frozenset[str]] = {
    RegistrationState.REQUESTED: frozenset({RegistrationState.CONFIRMED, RegistrationState.RETURNED}),
    RegistrationState.CONFIRMED: frozenset({RegistrationState.REVOKED}),
    RegistrationState.RETURNED: frozenset({RegistrationState.REQUESTED}),
    RegistrationState.REVOKED: frozenset(),
}


class Registration(models.Model):
    """A workplace organization (member is empty) or one of its members registered with a community."""

    kind = models.CharField(_("kind"), max_length=8, choices=RegistrationKind.choices, db_index=True)
    org = models.ForeignKey(
        "party.PartyOrg", on_delete=models.PROTECT, related_name="registrations",
        verbose_name=_("workplace organization"),
    )
    member = models.ForeignKey(
        "party.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="registrations",
        verbose_name=_("member"),
    )
    community = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("community")
    )
    # Both sides see a registration: the community by its path, the workplace organization by its own.
    community_path = models.CharField(max_length=255, db_index=True)
    org_path = models.CharField(max_length=255, db_index=True)
    state = models.CharField(
        _("state"), max_length=12, choices=RegistrationState.choices, default=RegistrationState.REQUESTED,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=1)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dual registration")
        verbose_name_plural = _("dual registrations")
        constraints = [
            # A member is registered (or asking to be) in one community at a time; an organization once
            # per community. A revoked registration is history and frees the place.
            models.UniqueConstraint(
                fields=["member"], condition=Q(member__isnull=False) & ~Q(state="revoked"),
                name="party_registration_member_once",
            ),
            models.UniqueConstraint(
                fields=["org", "community"], condition=Q(member__isnull=True) & ~Q(state="revoked"),
                name="party_registration_org_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class RegistrationEvent(models.Model):
    """One move of a registration; append-only."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    version = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["registration", "id"]
        constraints = [models.UniqueConstraint(fields=["registration", "version"], name="party_regevent_once")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("registration events are append-only")
        super().save(*args, **kwargs)


class ServiceCategory(models.TextChoices):
    ELDERLY = "elderly", _("Elderly care")
    CHILDREN = "children", _("Children and youth")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    SAFETY = "safety", _("Safety and order")
    CULTURE = "culture", _("Culture and education")
    LEGAL = "legal", _("Legal aid and mediation")
    HEALTH = "health", _("Health")
    OTHER = "other", _("Other")


class ServiceItem(models.Model):
    """An item of a community's published service list."""

    community = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="service_items", verbose_name=_("community")
    )
    community_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(pgettext_lazy("service item", "title"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=ServiceCategory.choices)
    capacity = models.PositiveIntegerField(_("capacity"))
    # Places taken by claims not withdrawn; moved only by a conditional UPDATE (see service_claim_create),
    # so concurrent claims never exceed the capacity.
    claimed = models.PositiveIntegerField(_("claimed"), default=0)
    starts_on = models.DateField(_("period start"))
    ends_on = models.DateField(_("period end"))
    description = models.TextField(pgettext_lazy("service item", "description"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(claimed__lte=models.F("capacity")), name="party_item_capacity"),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimState(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    RECORDED = "recorded", _("Recorded, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    RETURNED = "returned", pgettext_lazy("dual registration", "Returned")


CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimState.CLAIMED: frozenset({ClaimState.RECORDED, ClaimState.WITHDRAWN}),
    ClaimState.RECORDED: frozenset({ClaimState.CONFIRMED, ClaimState.RETURNED}),
    ClaimState.RETURNED: frozenset({ClaimState.RECORDED, ClaimState.WITHDRAWN}),
    ClaimState.CONFIRMED: frozenset(),
    ClaimState.WITHDRAWN: frozenset(),
}


class ServiceClaim(models.Model):
    """A member's claim of a service item and the service record (服务记实) they give for it."""

    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="claims", verbose_name=_("item"))
    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="service_claims",
                               verbose_name=_("member"))
    community_path = models.CharField(max_length=255, db_index=True)  # the item's community
    org_path = models.CharField(max_length=255, db_index=True)  # the member's organization
    state = models.CharField(_("state"), max_length=12, choices=ClaimState.choices, default=ClaimState.CLAIMED,
                             db_index=True)
    version = models.PositiveIntegerField(default=1)
    claimed_at = models.DateTimeField(_("claimed at"))
    # The service record, filled when the member records the service they gave.
    served_on = models.DateField(_("served on"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    beneficiary = models.CharField(_("who benefited"), max_length=200, blank=True, default="")
    note = models.TextField(_("what was done"), blank=True, default="")
    photo = models.FileField(upload_to="service/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=40, blank=True, default="")
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    reason = models.CharField(_("reason for return"), max_length=500, blank=True, default="")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        verbose_name = _("service claim")
        verbose_name_plural = _("service claims")
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], condition=~Q(state="withdrawn"),
                                    name="party_claim_once"),
        ]
        indexes = [models.Index(fields=["member", "state", "served_on"])]

    def __str__(self) -> str:
        return f"{self.item} · #{self.pk}"


class ClaimEvent(models.Model):
    """One move of a claim; append-only. `hours` is the record's hours at that move."""

    claim = models.ForeignKey(ServiceClaim, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    version = models.PositiveIntegerField()
    hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    reason = models.CharField(max_length=500, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "id"]
        constraints = [models.UniqueConstraint(fields=["claim", "version"], name="party_claimevent_once")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("claim events are append-only")
        super().save(*args, **kwargs)


class Pledge(models.Model):
    """A member's public pledge (承诺) to their community, and its fulfilment (践诺) once recorded.
    Overdue is derived: not fulfilled and past `due_on`."""

    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="pledges",
                               verbose_name=_("member"))
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="pledges",
                                  verbose_name=_("community"))
    community_path = models.CharField(max_length=255, db_index=True)
    org_path = models.CharField(max_length=255, db_index=True)
    text = models.CharField(_("pledge"), max_length=500)
    due_on = models.DateField(_("due on"))
    fulfilled_on = models.DateField(_("fulfilled on"), null=True, blank=True)
    fulfilment = models.CharField(_("fulfilment"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
