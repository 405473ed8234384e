"""Reference codes for organisations, units and roles."""

from django.db import models


class OrganisationKind(models.TextChoices):
    POLICE_FORCE = "police_force", "Police force"
    LAW_ENFORCEMENT_AGENCY = "law_enforcement_agency", "Law-enforcement agency"
    NATIONAL_CENTRE = "national_centre", "National trafficking centre"
    PROSECUTOR = "prosecutor", "Prosecutor"
    CHARITY = "charity", "Victim-care charity"
    GOVERNMENT = "government", "Government body"


# Whether members of a kind count as "other law-enforcement members" in the
# dissemination table. Stored per organisation (see Organisation.is_law_enforcement)
# so a deployment can correct a single organisation without a code change.
LAW_ENFORCEMENT_KINDS = {
    OrganisationKind.POLICE_FORCE,
    OrganisationKind.LAW_ENFORCEMENT_AGENCY,
    OrganisationKind.NATIONAL_CENTRE,
}


class Jurisdiction(models.TextChoices):
    ENGLAND_WALES = "england_wales", "England and Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    UK_WIDE = "uk", "United Kingdom"
    EU_PARTNER = "eu_partner", "EU partner"
    OTHER = "other", "Other"


class UnitKind(models.TextChoices):
    INTELLIGENCE_BUREAU = "intelligence_bureau", "Intelligence bureau"
    ANTI_TRAFFICKING = "anti_trafficking", "Anti-trafficking unit"
    MULTI_AGENCY_CELL = "multi_agency_cell", "Multi-agency cell"
    VICTIM_CARE = "victim_care", "Victim care team"
    FINANCIAL = "financial", "Financial investigation unit"
    RESPONSE = "response", "Response and neighbourhood policing"
    OTHER = "other", "Other"


class SharingGroupKind(models.TextChoices):
    NATIONAL = "national", "National group"
    REGIONAL = "regional", "Regional intelligence cell"
    OPERATION = "operation", "Operation participants"
    OTHER = "other", "Other partnership"


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    ANALYST = "analyst", "Intelligence analyst"
    SUPERVISOR = "supervisor", "Intelligence supervisor"
    SIO = "sio", "Senior investigating officer"
    VICTIM_CARE = "victim_care", "Victim care coordinator"
    CASEWORKER = "caseworker", "Charity caseworker"
    FINANCIAL_INVESTIGATOR = "financial_investigator", "Financial investigator"
    STATISTICIAN = "statistician", "Statistician"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"
