from django.urls import path

from . import registration_views as views

app_name = "contracts"

urlpatterns = [
    path("", views.apply, name="apply"),
    path("reopen/", views.reopen, name="reopen"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
]
