"""Staff data pages. Every save and delete goes to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.choices import Role
from cairn.accounts.models import Organisation, SharingGroup, Unit, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction


class StaffAdmin(admin.ModelAdmin):
    """Administrators manage staff data; the model permissions table is not used."""

    def _allowed(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.MANAGE_ACCOUNTS)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records that the audit log points at are deactivated, not deleted.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                action=AuditAction.CHANGE if change else AuditAction.CREATE,
                actor=request.user,  # type: ignore[arg-type]
                obj=obj,
                detail={"fields": sorted(form.changed_data)},
                request=request,
            )

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)


@admin.register(Organisation)
class OrganisationAdmin(StaffAdmin):
    list_display = ["name", "code", "kind", "jurisdiction", "region", "is_law_enforcement", "is_active"]
    list_filter = ["kind", "jurisdiction", "is_law_enforcement", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Unit)
class UnitAdmin(StaffAdmin):
    list_display = ["name", "organisation", "kind"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name"]


@admin.register(SharingGroup)
class SharingGroupAdmin(StaffAdmin):
    list_display = ["name", "kind"]
    filter_horizontal = ["members"]


@admin.register(User)
class UserAdmin(StaffAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "phone", "job_title")}),
        ("Organisation and roles", {"fields": ("organisation", "unit", "roles")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "organisation", "roles", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        obj.is_staff = Role.ADMINISTRATOR in obj.roles
        super().save_model(request, obj, form, change)
