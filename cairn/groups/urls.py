from django.urls import path

from cairn.groups import views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("detect/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("adopt/", views.adopt, name="adopt"),
    path("<int:pk>/", views.group_detail, name="detail"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("schemes/", views.schemes, name="schemes"),
]
