from django.urls import path

from . import views

app_name = "terms"

urlpatterns = [
    path("", views.index, name="index"),
    path("accept/", views.accept, name="accept"),
    path("company/", views.company, name="company"),
    path("<slug:slug>/", views.document, name="document"),
    path("<slug:slug>/print/", views.document, name="print"),
    path("<slug:slug>/versions/", views.versions, name="versions"),
    path("<slug:slug>/v/<str:label>/", views.version, name="version"),
    path("<slug:slug>/v/<str:label>/print/", views.version, name="version_print"),
    path("<slug:slug>/diff/<str:a>/<str:b>/", views.diff, name="diff"),
]
