from django.db import models


class DemoLoad(models.Model):
    """Marks that the demo world of a given seed and version is loaded, so a second load does nothing."""

    seed = models.IntegerField()
    version = models.IntegerField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["seed", "version"], name="demo_load_unique")]

    def __str__(self) -> str:
        return f"demo seed {self.seed} v{self.version}"
