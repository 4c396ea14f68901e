from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from supportdesk.timezones import active_zone_name, zone_names

from . import services
from .forms import TimeZoneForm
from .types import AuthedHttpRequest


def _profile_page(request: AuthedHttpRequest, zone_form: TimeZoneForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "fresh_token": request.session.pop("fresh_api_token", None),
        "has_token": Token.objects.filter(user=request.user).exists(),
        "zone_form": zone_form or TimeZoneForm(initial={"time_zone": request.user.time_zone}),
        "zone_names": zone_names(),
        "active_zone": active_zone_name(),
        "zone_source": getattr(request, "time_zone_source", "site"),
    }
    return render(request, "accounts/profile.html", context, status=status)


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
    return _profile_page(request)


@login_required
@require_POST
def profile_time_zone(request: AuthedHttpRequest) -> HttpResponse:
    """The zone the person's pages show times in."""
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, form, status=400)
    services.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
    chosen = form.cleaned_data["time_zone"] or "your browser's time zone"
    messages.success(request, f"Times now show in {chosen}.")
    return redirect("profile")
