from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "cairn.entities"
    label = "entities"
    verbose_name = "Entities and statements"
