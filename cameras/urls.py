from django.urls import path

from . import views

app_name = "cameras"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:pk>/", views.product_detail, name="product_detail"),
]
