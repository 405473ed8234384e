from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "cairn.intelligence"
    label = "intelligence"
    verbose_name = "Intelligence"
