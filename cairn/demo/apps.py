from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cairn.demo"
    label = "demo"
    verbose_name = "Demo world"
