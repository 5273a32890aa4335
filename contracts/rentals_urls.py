from django.urls import path

from . import rentals_views as views

app_name = "rentals"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("request/<int:product_pk>/", views.request_create, name="request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("units/", views.unit_list, name="units"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("billing/", views.billing_overview, name="billing"),
    path("deletions/", views.deletion_list, name="deletions"),
]
