"""The customer's pages of video data (Art. 10), the transfer request (Art. 17), the personal
data download and the public privacy page (Art. 11)."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.current import membership_or_404
from ctsportal.access import access
from ctsportal.forms import add_service_error
from ctsportal.spreadsheets import SafeWriter

from .records_forms import TransferRequestForm
from .selectors.records import video_backup_warning, video_deletion_log, video_record_list
from .selectors.transfers import transfer_list
from .services import privacy as privacy_services
from .services import transfers as transfer_services


@login_required
def video_records(request: HttpRequest) -> HttpResponse:
    """The recordings the service holds for the company, and its deletion log."""
    customer = membership_or_404(request).customer
    return render(
        request,
        "contracts/video_records.html",
        {
            "customer": customer,
            "records": video_record_list(customer=customer),
            "deletion_log": video_deletion_log(customer=customer),
            "backup_warning": video_backup_warning(customer=customer),
        },
    )


CSV_COLUMNS = (
    "id",
    "rental",
    "site",
    "unit",
    "storage",
    "period_start",
    "period_end",
    "size_bytes",
    "state",
)


@login_required
def video_records_csv(request: HttpRequest) -> HttpResponse:
    """Art. 10(4): the list of records as CSV, for the customer's own backups."""
    customer = membership_or_404(request).customer
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in video_record_list(customer=customer):
        writer.writerow(
            [
                r.pk,
                r.rental_id,
                r.rental.site_name,
                r.unit.serial if r.unit else "",
                r.storage,
                timezone.localtime(r.period_start).isoformat(),
                timezone.localtime(r.period_end).isoformat(),
                r.size_bytes,
                r.state,
            ]
        )
    # A BOM so that Excel on Japanese Windows reads the UTF-8 correctly.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="video-records-{stamp}.csv"'
    return response


@never_cache
@login_required
def transfer(request: HttpRequest) -> HttpResponse:
    """Art. 17: the owner asks for the contractual position to pass to another company."""
    membership = membership_or_404(request)
    customer = membership.customer
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST":
        if not membership.is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                transfer_services.transfer_request(
                    customer=customer,
                    user=membership.user,
                    data=form.request_data(),
                    request=request,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request, _("Your request has been sent. CTS will contact you in writing.")
                )
                return redirect("records:transfer")
    return render(
        request,
        "contracts/transfer.html",
        {"form": form, "transfers": transfer_list(customer=customer), "membership": membership},
    )


@access(public=True, reason="Art. 11: the privacy notice is read before signing up")
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "contracts/privacy.html",
        {
            "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
            "sighting_days": settings.SIGHTING_RETENTION_DAYS,
        },
    )


@never_cache
@login_required
@access(sensitive=True)
def personal_data(request: HttpRequest) -> HttpResponse:
    """Art. 11: the owner's page to download everything the portal holds about the company."""
    membership = membership_or_404(request)
    if not membership.is_owner:
        raise PermissionDenied
    return render(request, "contracts/personal_data.html", {"customer": membership.customer})


@require_POST
@login_required
@access(sensitive=True)
def personal_data_download(request: HttpRequest) -> HttpResponse:
    membership = membership_or_404(request)
    if not membership.is_owner:
        raise PermissionDenied
    archive = privacy_services.personal_data_export(
        customer=membership.customer, user=membership.user, request=request
    )
    response = HttpResponse(archive, content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.zip"'
    return response
