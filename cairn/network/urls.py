from django.urls import path

from cairn.network import views

app_name = "network"

urlpatterns = [
    path("chart/", views.chart, name="chart"),
]
