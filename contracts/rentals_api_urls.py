from django.urls import path

from . import rentals_api as api

urlpatterns = [
    path("contract", api.UsageContractView.as_view(), name="api-contract"),
    path("rentals", api.RentalListView.as_view(), name="api-rentals"),
    path(
        "rentals/backhoe-acknowledgement",
        api.BackhoeAcknowledgementView.as_view(),
        name="api-backhoe-acknowledgement",
    ),
    path("rentals/<int:pk>", api.RentalDetailView.as_view(), name="api-rental"),
    path("units", api.UnitListView.as_view(), name="api-units"),
    path("units/<int:pk>", api.UnitDetailView.as_view(), name="api-unit"),
    path("charges", api.ChargeListView.as_view(), name="api-charges"),
    path("charges/<int:pk>", api.ChargeDetailView.as_view(), name="api-charge"),
    path("payments", api.PaymentListView.as_view(), name="api-payments"),
    path("payments/<int:pk>", api.PaymentDetailView.as_view(), name="api-payment"),
    path("deletion-records", api.DeletionListView.as_view(), name="api-deletion-records"),
    path("balance", api.BalanceView.as_view(), name="api-balance"),
]
