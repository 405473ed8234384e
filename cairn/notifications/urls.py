from django.urls import path

from cairn.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.read_all, name="read-all"),
]
