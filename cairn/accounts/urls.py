from django.urls import path

from cairn.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.sign_in_code, name="code"),
    path("sign-in/enrol/", views.enrol, name="enrol"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
