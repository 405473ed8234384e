"""What each role may do, as capabilities. Roles are granted; capabilities are checked."""

from __future__ import annotations

from django.db import models

from cairn.accounts.choices import Role


class Capability(models.TextChoices):
    SUBMIT_INTELLIGENCE = "submit_intelligence", "Submit intelligence reports"
    READ_INTELLIGENCE = "read_intelligence", "Read intelligence as far as its dissemination allows"
    SEARCH = "search", "Search people, selectors and reports across organisations"
    SUPERVISE_INTELLIGENCE = (
        "supervise_intelligence",
        "Grade, sanitise and authorise intelligence; decide access requests",
    )
    ANALYSE_NETWORKS = "analyse_networks", "Link, resolve and chart networks"
    RUN_OPERATIONS = "run_operations", "Run operations and case conferences"
    MANAGE_VICTIMS = "manage_victims", "Record potential victims and referral decisions"
    SUPPORT_VICTIMS = "support_victims", "Support the victims assigned to your organisation"
    INVESTIGATE_FINANCES = "investigate_finances", "Trace and recover criminal assets"
    VIEW_STATISTICS = "view_statistics", "See and publish safe statistics"
    VIEW_AUDIT_LOG = "view_audit_log", "See the audit log of your organisation"
    MANAGE_ACCOUNTS = "manage_accounts", "Manage organisations, units, sharing groups and accounts"


C = Capability

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OFFICER: frozenset({C.SUBMIT_INTELLIGENCE, C.READ_INTELLIGENCE, C.SEARCH}),
    Role.ANALYST: frozenset({C.SUBMIT_INTELLIGENCE, C.READ_INTELLIGENCE, C.SEARCH, C.ANALYSE_NETWORKS}),
    Role.SUPERVISOR: frozenset(
        {C.SUBMIT_INTELLIGENCE, C.READ_INTELLIGENCE, C.SEARCH, C.SUPERVISE_INTELLIGENCE, C.ANALYSE_NETWORKS}
    ),
    Role.SIO: frozenset({C.SUBMIT_INTELLIGENCE, C.READ_INTELLIGENCE, C.SEARCH, C.RUN_OPERATIONS}),
    Role.VICTIM_CARE: frozenset({C.READ_INTELLIGENCE, C.SEARCH, C.MANAGE_VICTIMS}),
    Role.CASEWORKER: frozenset({C.SUPPORT_VICTIMS}),
    Role.FINANCIAL_INVESTIGATOR: frozenset({C.READ_INTELLIGENCE, C.SEARCH, C.INVESTIGATE_FINANCES}),
    # Statisticians see aggregates only, never records.
    Role.STATISTICIAN: frozenset({C.VIEW_STATISTICS}),
    Role.AUDITOR: frozenset({C.VIEW_AUDIT_LOG}),
    # Administrators manage accounts; by that role alone they see no intelligence.
    Role.ADMINISTRATOR: frozenset({C.MANAGE_ACCOUNTS}),
}

# Capabilities whose pages exist in this version; the home page says "not yet" for the rest.
AVAILABLE_NOW: frozenset[Capability] = frozenset(
    {
        C.VIEW_AUDIT_LOG,
        C.MANAGE_ACCOUNTS,
        C.SUBMIT_INTELLIGENCE,
        C.READ_INTELLIGENCE,
        C.SUPERVISE_INTELLIGENCE,
        C.SEARCH,
    }
)
