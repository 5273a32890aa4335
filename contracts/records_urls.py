from django.urls import path

from . import records_views as views

app_name = "records"

urlpatterns = [
    path("video/", views.video_records, name="video"),
    path("video/records.csv", views.video_records_csv, name="video_csv"),
    path("transfer/", views.transfer, name="transfer"),
    path("privacy/", views.privacy, name="privacy"),
    path("account/personal-data/", views.personal_data, name="personal_data"),
    path(
        "account/personal-data/download",
        views.personal_data_download,
        name="personal_data_download",
    ),
]
