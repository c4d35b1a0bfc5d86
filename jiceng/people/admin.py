"""Django admin for residents, should the project enable django.contrib.admin (it is off by default).

The admin bypasses services and scope, so it only reads: masked numbers, never ciphertexts or blind
indexes, and no adding, changing or deleting (those go through the people pages and API, audited).
"""

from __future__ import annotations

from django.apps import apps

from .models import Person

# Importable with the admin off too (a module walk must not fail); registers only when it is on.
if apps.is_installed("django.contrib.admin"):
    from django.contrib import admin

    @admin.register(Person)
    class PersonAdmin(admin.ModelAdmin):
        list_display = ("name", "gender", "phone_masked", "id_masked", "community", "home", "room")
        list_select_related = ("community", "home")
        search_fields = ("name",)
        fields = (
            "name",
            "gender",
            "phone_masked",
            "id_masked",
            "district",
            "subdistrict",
            "community",
            "grid",
            "home",
            "room",
            "created_at",
            "updated_at",
        )
        readonly_fields = fields

        def has_add_permission(self, request) -> bool:
            return False

        def has_change_permission(self, request, obj=None) -> bool:
            return False

        def has_delete_permission(self, request, obj=None) -> bool:
            return False
