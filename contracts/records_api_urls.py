from django.urls import path

from . import records_api as api

urlpatterns = [
    path("video-records", api.VideoRecordListView.as_view(), name="api-video-records"),
    path(
        "video-records/import",
        api.VideoRecordImportView.as_view(),
        name="api-video-records-import",
    ),
    path(
        "video-records/<int:pk>",
        api.VideoRecordDetailView.as_view(),
        name="api-video-record",
    ),
]
