from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "cairn.groups"
    label = "groups"
    verbose_name = "Crime groups and threat assessment"
