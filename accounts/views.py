from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from . import services
from .types import AuthedHttpRequest


@never_cache  # Cache-Control: no-store: the fresh API token must not be kept by the browser or a proxy
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedHttpRequest) -> HttpResponse:
    """Who you are, your role, and your API token (shown once after it is made)."""
    if request.method == "POST":
        key = services.api_token_renew(user=request.user)
        messages.success(request, "A new API token was made; the old one no longer works. Copy it now.")
        request.session["fresh_api_token"] = key
        return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "fresh_token": request.session.pop("fresh_api_token", None),
            "has_token": Token.objects.filter(user=request.user).exists(),
        },
    )
