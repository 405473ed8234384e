from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "cairn.bench"
    label = "bench"
    verbose_name = "Benchmarks"
