from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "cairn.search"
    label = "search"
    verbose_name = "Search and watches"
