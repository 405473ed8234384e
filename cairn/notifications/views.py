from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cairn.accounts.models import User
from cairn.notifications.models import Notification
from cairn.notifications.services import mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    page = Paginator(Notification.objects.filter(recipient=user), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    mark_read(actor=user)
    return redirect("notifications:inbox")
