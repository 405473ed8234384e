from django.urls import path

from cairn.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("reason/", views.reason, name="reason"),
]
