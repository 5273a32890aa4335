from django.urls import path

from . import api

urlpatterns = [
    path("notices", api.NoticeListView.as_view(), name="api-notices"),
    path("notices/<int:pk>", api.NoticeDetailView.as_view(), name="api-notice-detail"),
]
