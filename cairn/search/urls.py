from django.urls import path

from cairn.search import views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("watches/", views.watches, name="watches"),
    path("watches/<int:pk>/stop/", views.watch_stop, name="watch-stop"),
]
