from django.urls import path

from cairn.entities import views

app_name = "entities"

urlpatterns = [
    path("<int:pk>/", views.entity_detail, name="detail"),
]
