from django.urls import path

from cairn.linking import views

app_name = "linking"

urlpatterns = [
    path("review/", views.review_queue, name="queue"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("people/<int:entity_id>/", views.person_detail, name="person"),
    path("people/<int:entity_id>/split/", views.person_split, name="split"),
    path("judgements/<int:pk>/undo/", views.judgement_undo, name="undo"),
    path("noise/", views.noise, name="noise"),
    path("runs/", views.resolution_runs, name="runs"),
]
