from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    CHANGE = "change", "Change"
    VIEW = "view", "View"
    SEARCH = "search", "Search"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose"
    ERASE = "erase", "Erase"
    SIGN_IN = "sign_in", "Sign-in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Sign-out"
    ACCESS_DECISION = "access_decision", "Access decision"
