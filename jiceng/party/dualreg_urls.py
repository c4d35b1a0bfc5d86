"""Dual registration pages, included under /party/dualreg/ in the Party namespace."""

from django.urls import path

from . import dualreg_views as v

urlpatterns = [
    path("me/", v.me, name="dualreg_me"),
    path("me/register/", v.me_register, name="dualreg_me_register"),
    path("me/registrations/<int:registration_id>/", v.me_registration_move, name="dualreg_me_registration"),
    path("me/items/<int:item_id>/claim/", v.me_claim, name="dualreg_me_claim"),
    path("me/claims/<int:claim_id>/withdraw/", v.me_withdraw, name="dualreg_me_withdraw"),
    path("me/claims/<int:claim_id>/record/", v.me_record, name="dualreg_me_record"),
    path("me/pledges/", v.me_pledge, name="dualreg_me_pledge"),
    path("me/pledges/<int:pledge_id>/fulfil/", v.me_fulfil, name="dualreg_me_fulfil"),
    path("registrations/", v.registrations, name="dualreg_registrations"),
    path("registrations/org/new/", v.registration_org_new, name="dualreg_org_new"),
    path("registrations/<int:registration_id>/move/", v.registration_move, name="dualreg_registration_move"),
    path("buildings/", v.buildings, name="dualreg_buildings"),
    path("items/", v.items, name="dualreg_items"),
    path("records/", v.records, name="dualreg_records"),
    path("records/<int:claim_id>/move/", v.record_move, name="dualreg_record_move"),
    path("records/<int:claim_id>/photo/", v.record_photo, name="dualreg_record_photo"),
    path("pledges/", v.pledges, name="dualreg_pledges"),
    path("report/", v.report, name="dualreg_report"),
]
