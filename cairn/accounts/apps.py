from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class AccountsConfig(AppConfig):
    name = "cairn.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"


class CairnAdminConfig(AdminConfig):
    default_site = "cairn.accounts.admin_site.CairnAdminSite"
