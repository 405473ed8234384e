from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "cairn.linking"
    verbose_name = "Linking: correlation, entity resolution and judgements"
