"""Party dues (党费): dated rate tables, each member's dues basis, and monthly payments.

The rates are data, not code: a `DuesRateTable` valid from a date holds bracket rows per member class
(loaded by a data migration from jiceng/party/data/dues_rates.json). A member's after-tax monthly pay is
personal data: it is stored only encrypted (jiceng.people.personal.encrypt), beside the label of its
bracket, which is all that pages, logs and audit events ever show.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["DuesBasis", "DuesClass", "DuesPayment", "DuesRateBracket", "DuesRateTable"]


class DuesClass(models.TextChoices):
    IN_SERVICE = "in_service", _("In-service")
    RETIRED = "retired", _("Retired")
    STUDENT = "student", _("Student")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RELIEF = "relief", _("On relief")


class DuesRateTable(models.Model):
    """The national rates in force from `valid_from` until the next table's `valid_from`."""

    valid_from = models.DateField(_("valid from"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("dues rate table")
        verbose_name_plural = _("dues rate tables")
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m-%d})"


class DuesRateBracket(models.Model):
    """One row of a rate table: for `dues_class`, pay above the previous row's `up_to` and at most this
    `up_to` (no limit when null) pays `rate` of the pay; or a flat monthly amount when `flat_amount` is set."""

    table = models.ForeignKey(DuesRateTable, on_delete=models.CASCADE, related_name="brackets")
    dues_class = models.CharField(_("class"), max_length=16, choices=DuesClass.choices)
    up_to = models.DecimalField(_("pay up to (inclusive)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4, null=True, blank=True)
    flat_amount = models.DecimalField(_("flat amount"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("dues rate bracket")
        verbose_name_plural = _("dues rate brackets")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__isnull=False, flat_amount__isnull=True)
                | Q(rate__isnull=True, flat_amount__isnull=False),
                name="party_duesbracket_rate_xor_flat",
            ),
        ]


class DuesBasis(models.Model):
    """What a member's dues are computed from, from `valid_from` (the first day of a month) on.

    Never updated: a new basis supersedes the old for later months, so the history is kept and the
    basis in force for any month can be found (the latest `valid_from` not after it, then the latest row).
    """

    member = models.ForeignKey("party.Member", on_delete=models.CASCADE, related_name="dues_bases")
    dues_class = models.CharField(_("class"), max_length=16, choices=DuesClass.choices)
    # AES-GCM ciphertext of the after-tax monthly pay in yuan ("8000.00"); empty for flat classes.
    pay_encrypted = models.TextField(blank=True, default="")
    # The bracket the pay fell in when set ("5000–10000"), shown instead of the figure.
    bracket = models.CharField(_("bracket"), max_length=40, blank=True, default="")
    valid_from = models.DateField(_("valid from"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dues basis")
        verbose_name_plural = _("dues bases")
        indexes = [models.Index(fields=["member", "valid_from"])]


class DuesPayment(models.Model):
    """A member's dues for one month. `amount_due` is fixed when recorded, from the basis and the rate
    table in force for that month. A voided payment stays as history; one live payment per member and month."""

    member = models.ForeignKey("party.Member", on_delete=models.PROTECT, related_name="dues_payments")
    month = models.DateField(_("month"))  # the first day of the month
    amount_due = models.DecimalField(_("amount due"), max_digits=10, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"], condition=Q(voided_at__isnull=True), name="party_dues_one_per_month"
            ),
        ]
        indexes = [models.Index(fields=["month", "member"])]
