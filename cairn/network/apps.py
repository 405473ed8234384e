from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "cairn.network"
    verbose_name = "Network analysis and link charts"
