from django.urls import path

from . import api

urlpatterns = [
    path("catalogue/products", api.ProductListView.as_view(), name="api-products"),
    path("catalogue/products/<int:pk>", api.ProductDetailView.as_view(), name="api-product"),
]
