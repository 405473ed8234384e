from django.urls import path

from cairn.intelligence import views

app_name = "intelligence"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("extract/", views.extract_subjects, name="extract"),
    path("review/", views.review_queue, name="queue"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("<int:pk>/review/", views.report_review, name="review"),
    path("<int:pk>/sanitise/", views.report_sanitise, name="sanitise"),
    path("flags/<str:token>/", views.flag_detail, name="flag"),
    path("flags/<str:token>/request-access/", views.request_access, name="request-access"),
    path("<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("access-requests/<int:pk>/decide/", views.decide_request, name="decide"),
]
