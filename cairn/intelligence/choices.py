"""Grading, handling, classification and dissemination codes (see shared/DOMAIN.md)."""

from django.db import models


class SourceEvaluation(models.TextChoices):
    RELIABLE = "1", "1 – Reliable"
    UNTESTED = "2", "2 – Untested"
    NOT_RELIABLE = "3", "3 – Not reliable"


class IntelligenceAssessment(models.TextChoices):
    A = "A", "A – Known directly to the source"
    B = "B", "B – Known indirectly but corroborated"
    C = "C", "C – Known indirectly to the source"
    D = "D", "D – Not known"
    E = "E", "E – Suspected to be false or malicious"


class HandlingCode(models.TextChoices):
    P = "P", "P – Lawful sharing permitted"
    C = "C", "C – Lawful sharing permitted with conditions"


class HandlingCondition(models.TextChoices):
    A1 = "A1", "A1 – May be combined or corroborated; no action without the originator's permission"
    A2 = "A2", "A2 – Covert action only; source and technique protected; not for evidence or arrest"
    A3 = "A3", "A3 – Overt action permitted as the originator specifies"
    S1 = "S1", "S1 – Originator permits sanitisation for wider dissemination"
    S2 = "S2", "S2 – No sanitisation without consulting the originator"


class Classification(models.TextChoices):
    OFFICIAL = "OFFICIAL", "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"


# Cairn refuses to hold these, and says why.
REFUSED_CLASSIFICATIONS = {"SECRET", "TOP SECRET", "TOP-SECRET"}


class Dissemination(models.TextChoices):
    SHARED = "shared", "Shared – partners and other law enforcement see it in full"
    RESTRICTED = "restricted", "Restricted – other law enforcement see a flag and may ask for access"
    CONFIDENTIAL = "confidential", "Confidential – only the originator and named sharing groups"


class ExploitationType(models.TextChoices):
    SEXUAL = "sexual", "Sexual exploitation"
    LABOUR = "labour", "Labour exploitation"
    DOMESTIC_SERVITUDE = "domestic_servitude", "Domestic servitude"
    CRIMINAL = "criminal", "Criminal exploitation"
    ORGAN_REMOVAL = "organ_removal", "Organ removal"
    OTHER = "other", "Other"


class ReviewState(models.TextChoices):
    NOT_REQUIRED = "not_required", "No review needed"
    AWAITING = "awaiting", "Awaiting supervisor review"
    REVIEWED = "reviewed", "Reviewed"


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class GradingModel(models.TextChoices):
    UK_3X5X2 = "3x5x2", "3x5x2"
    LEGACY_5X5X5 = "5x5x5", "5x5x5 (legacy, mapped)"
