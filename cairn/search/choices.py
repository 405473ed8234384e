from django.db import models


class QueryKind(models.TextChoices):
    AUTO = "auto", "Work it out"
    PERSON = "person", "Person by name"
    SELECTOR = "selector", "Phone, vehicle, email, account, document, postcode, address or link"
    TEXT = "text", "Words in reports"


class WatchKind(models.TextChoices):
    PERSON = "person", "Person"
    SELECTOR = "selector", "Selector"
    TEXT = "text", "Words"
