"""The catalogue (Art. 3 and its annex) and the serial-numbered units rented out.

The service is (1) network cameras with their accompanying hardware and (2) the backhoe
camera system; accessories are catalogued too so that a product can name what comes with it.
A unit moves in_stock → assigned → returned → wiped → in_stock, or is retired."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """A rentable model in the catalogue, with its monthly fee in yen (Art. 5)."""

    class Category(models.TextChoices):
        NETWORK_CAMERA = "network_camera", _("Network camera")
        BACKHOE_CAMERA_SYSTEM = "backhoe_camera_system", _("Backhoe camera system")
        ACCESSORY = "accessory", _("Accessory")

    class Connectivity(models.TextChoices):
        LTE = "lte", _("LTE")
        WIFI = "wifi", _("Wi-Fi")
        WIRED = "wired", _("Wired LAN")

    class Power(models.TextChoices):
        AC = "ac", _("AC mains")
        POE = "poe", _("PoE")
        SOLAR_BATTERY = "solar_battery", _("Solar panel and battery")
        BATTERY = "battery", _("Battery")
        VEHICLE = "vehicle", _("Vehicle power (12/24 V)")

    class Recording(models.TextChoices):
        # Art. 10(6)(7): where the video data lives decides how it is deleted.
        CLOUD = "cloud", _("Cloud")
        SD_CARD = "sd_card", _("SD card")
        NAS = "nas", _("NAS")

    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, db_index=True
    )
    model_code = models.CharField(_("model code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=40, blank=True)
    connectivity = models.CharField(
        _("connectivity"), max_length=16, choices=Connectivity.choices, blank=True
    )
    power = models.CharField(_("power"), max_length=16, choices=Power.choices, blank=True)
    recording = models.CharField(
        _("recording"), max_length=16, choices=Recording.choices, blank=True
    )
    monthly_fee_yen = models.PositiveIntegerField(_("monthly fee (yen)"))
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active products can be requested.")
    )
    accessories = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="included_in",
        limit_choices_to={"category": "accessory"},
        verbose_name=_("included accessories"),
    )
    # A drawing served from the static files (deployments may be offline: no remote images).
    image = models.CharField(
        _("image"),
        max_length=200,
        blank=True,
        help_text=_("Path under the static files, e.g. cameras/img/network-camera.svg."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["category", "monthly_fee_yen", "model_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=["network_camera", "backhoe_camera_system", "accessory"]),
                name="product_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee_yen__gte=0), name="product_monthly_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(recording__in=["", "cloud", "sd_card", "nas"]),
                name="product_recording_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if _language() == "en" else self.name_ja

    @property
    def description(self) -> str:
        return self.description_en if _language() == "en" else self.description_ja

    @property
    def is_backhoe(self) -> bool:
        return self.category == self.Category.BACKHOE_CAMERA_SYSTEM

    @property
    def is_requestable(self) -> bool:
        """Offered and rented on its own: an accessory comes with the product it belongs to."""
        return self.active and self.category != self.Category.ACCESSORY


def _language() -> str:
    return (translation.get_language() or "ja")[:2]


class Unit(models.Model):
    """One serial-numbered piece of equipment. Its state changes only through the services
    of cameras.services and contracts.services.rentals / rental_operations."""

    class State(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        ASSIGNED = "assigned", _("Assigned")
        RETURNED = "returned", _("Returned")
        WIPED = "wiped", _("Wiped")
        RETIRED = "retired", _("Retired")

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="units", verbose_name=_("product")
    )
    serial = models.CharField(_("serial number"), max_length=64)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.IN_STOCK, db_index=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["product__model_code", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "serial"],
                name="unit_serial_unique_per_product",
                violation_error_message=_("This product already has a unit with this serial."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=["in_stock", "assigned", "returned", "wiped", "retired"]),
                name="unit_state_valid",
            ),
            models.CheckConstraint(condition=~Q(serial=""), name="unit_serial_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.product.model_code} #{self.serial}"
