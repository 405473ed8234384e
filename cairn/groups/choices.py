from django.db import models


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class ThreatArea(models.TextChoices):
    """What a scoring factor is about (UK mapping scores a group's people, activities, reach and capability)."""

    PEOPLE = "people", "People"
    ACTIVITIES = "activities", "Activities"
    REACH = "reach", "Reach"
    CAPABILITY = "capability", "Capability"
    HARM = "harm", "Harm"
