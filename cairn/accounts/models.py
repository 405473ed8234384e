"""Organisations, units, sharing groups, users and their API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from cairn.accounts.choices import (
    Jurisdiction,
    OrganisationKind,
    Role,
    SharingGroupKind,
    UnitKind,
)


class Organisation(models.Model):
    """A member organisation: a force, agency, prosecutor, charity or government body.

    Not to be confused with organisations that are the *subject* of intelligence
    (crime groups, front companies): those are entities.
    """

    code = models.SlugField(max_length=40, unique=True, help_text="Short stable identifier, e.g. 'aldermoor'.")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    jurisdiction = models.CharField(max_length=32, choices=Jurisdiction.choices)
    region = models.CharField(max_length=100, blank=True)
    is_law_enforcement = models.BooleanField(
        default=False,
        help_text="Counts as 'other law-enforcement member' for dissemination.",
    )
    node = models.CharField(max_length=100, default="local", help_text="The Cairn node that hosts it.")
    contact_point = models.CharField(
        max_length=300,
        blank=True,
        help_text="Who other organisations call about this organisation's intelligence.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A team inside an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=UnitKind.choices, default=UnitKind.OTHER)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unit_unique_name_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.code})"


class SharingGroup(models.Model):
    """A named partnership of organisations that share intelligence with each other."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=SharingGroupKind.choices, default=SharingGroupKind.OTHER)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Organisation, related_name="sharing_groups", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CairnUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Usernames are matched without regard to case, as people type them.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person who signs in. Belongs to exactly one organisation and holds roles.

    Roles say what kind of work a person does; the access policy turns roles,
    organisation and sharing groups into what they may see. An administrator
    manages accounts but sees no intelligence by that role alone.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    objects = CairnUserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_case_insensitive"),
        ]

    def clean(self) -> None:
        super().clean()
        unknown = [r for r in self.roles if r not in Role.values]
        if unknown:
            raise ValidationError({"roles": f"Unknown role(s): {', '.join(unknown)}"})
        if self.unit_id and self.unit and self.unit.organisation_id != self.organisation_id:
            raise ValidationError({"unit": "The unit belongs to another organisation."})

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in self.roles if r in Role.values]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A revocable API token. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
