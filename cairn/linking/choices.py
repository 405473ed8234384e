from django.db import models


class Decision(models.TextChoices):
    SAME = "same", "Same person"
    NOT_SAME = "not_same", "Not the same person"
    UNSURE = "unsure", "Unsure"


class ProposalSource(models.TextChoices):
    REALTIME = "realtime", "Matched when the report arrived"
    BATCH = "batch", "Found by a re-resolution run"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"
