from django.urls import path

from . import lifecycle_views

app_name = "lifecycle"

urlpatterns = [
    path("cancellation/", lifecycle_views.cancellation, name="cancellation"),
    path(
        "still-using/<str:token>/",
        lifecycle_views.inactivity_confirm,
        name="inactivity_confirm",
    ),
]
