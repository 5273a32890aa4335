"""The portal's URLs plus the benchmark's reference pages (bench.settings only)."""

from django.urls import path

from ctsportal.urls import handler403, handler404, handler500
from ctsportal.urls import urlpatterns as portal

from . import views

urlpatterns = [
    path("bench/hello", views.hello),
    path("bench/typical", views.typical),
    *portal,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
