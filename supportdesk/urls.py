from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import kpis.urls
import paging.urls
import readiness.urls
import tickets.urls
from accounts.saml import saml_finish_acs

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # one sign-in page, with MFA, for the admin too
admin.site.site_header = "Supportdesk administration"
admin.site.site_title = "Supportdesk admin"

# JSON under /api/ (an outage a 503 to retry), the HTML pages elsewhere
handler400 = "supportdesk.api.bad_request"
handler403 = "supportdesk.api.permission_denied"
handler404 = "supportdesk.api.page_not_found"
handler500 = "supportdesk.api.server_error"

urlpatterns = [
    path("metrics", include("observability.urls")),  # Prometheus's default path; token or network (settings)
    path("admin/", admin.site.urls),
    # before allauth's own: the same step, refusing a response that is not XML with a page instead of a 500
    path("accounts/saml/<str:organization_slug>/acs/finish/", saml_finish_acs),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from a URL, not inline: the Content-Security-Policy allows no inline script
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("supportdesk.api_urls")),
    # Each app's pages under the prefix set here (an app's urls.py spells no prefix); the few apps whose pages
    # answer under more than one prefix (addresses people have bookmarked) give one list per prefix.
    path("profile/", include("accounts.urls")),
    path("aws/", include("integrations.urls")),
    path("maintenance/", include("integrations.maintenance.urls")),
    path("oncall/", include("oncall.urls")),
    path("paging/", include("paging.urls")),
    path("p/", include(paging.urls.link_urlpatterns)),
    path("slack/", include("chat.urls")),  # Slack's requests, signed by Slack: no session, no CSRF token
    path("scim/v2/", include("directory.urls")),  # the IdP's SCIM client: a bearer token, no session, no CSRF token
    path("reviews/", include("readiness.urls")),
    path("readiness/", include(readiness.urls.panel_urlpatterns)),
    path("dashboard/", include("kpis.urls")),
    path("trends/", include(kpis.urls.trends_urlpatterns)),
    path("finance/", include(kpis.urls.finance_urlpatterns)),
    path("", include(tickets.urls.home_urlpatterns)),
    path("tickets/", include("tickets.urls")),
]

if settings.BENCH_VIEWS:  # pragma: no cover
    urlpatterns.append(path("_bench/", include("tools.bench_views")))
