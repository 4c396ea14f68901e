from django.urls import path

from .scim import views as v

# SCIM 2.0 (RFC 7644), mounted at /scim/v2/ by the composition root; the IdP's base URL is that address
urlpatterns = [
    path("Users", v.scim_endpoint({"GET": v.users_list, "POST": v.user_create}), name="scim-users"),
    path(
        "Users/<str:pk>",
        v.scim_endpoint({"GET": v.user_show, "PUT": v.user_replace, "PATCH": v.user_patch, "DELETE": v.user_delete}),
        name="scim-user",
    ),
    path("Groups", v.scim_endpoint({"GET": v.groups_list, "POST": v.group_create}), name="scim-groups"),
    path(
        "Groups/<str:pk>",
        v.scim_endpoint(
            {"GET": v.group_show, "PUT": v.group_replace, "PATCH": v.group_patch, "DELETE": v.group_delete}
        ),
        name="scim-group",
    ),
    path("ServiceProviderConfig", v.scim_endpoint({"GET": v.service_provider_config}), name="scim-config"),
    path("ResourceTypes", v.scim_endpoint({"GET": v.resource_types}), name="scim-resource-types"),
    path("Schemas", v.scim_endpoint({"GET": v.schemas}), name="scim-schemas"),
]
