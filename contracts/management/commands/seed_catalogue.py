"""Demo catalogue, units and one running rental for the demo company (株式会社山田建設).
Idempotent: products and units are matched by model code and serial, and the demo rental
is made only once. Called by ``seed_demo``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, Membership, User
from cameras.models import Product, Unit
from contracts.demo import demo_usage_contract
from contracts.models import Rental
from contracts.services import rental_operations
from contracts.services import rentals as services

IMG = "cameras/img/"
P = Product

# (model code, category, ja, en, description ja, description en, resolution, connectivity,
#  power, recording, monthly fee, image, accessories)
PRODUCTS: list[tuple[Any, ...]] = [
    (
        "AC-SOLAR-100W",
        P.Category.ACCESSORY,
        "ソーラーパネル 100W",
        "Solar panel 100 W",
        "単管クランプ付き。日照の少ない現場では2枚構成を推奨します。",
        "With scaffold-pipe clamps. Two panels are advised on shaded sites.",
        "",
        "",
        "",
        "",
        3000,
        IMG + "accessory.svg",
        [],
    ),
    (
        "AC-BATT-LFP",
        P.Category.ACCESSORY,
        "リン酸鉄リチウムバッテリー 100Ah",
        "LiFePO4 battery 100 Ah",
        "無日照で約3日間の連続稼働。",
        "About three days without sun.",
        "",
        "",
        P.Power.BATTERY,
        "",
        2500,
        IMG + "accessory.svg",
        [],
    ),
    (
        "AC-MON-7",
        P.Category.ACCESSORY,
        "車載モニター 7インチ",
        "In-cab monitor 7-inch",
        "4分割表示対応。",
        "Shows up to four cameras.",
        "1024x600",
        "",
        P.Power.VEHICLE,
        "",
        2000,
        IMG + "accessory.svg",
        [],
    ),
    (
        "AC-MAG-MOUNT",
        P.Category.ACCESSORY,
        "マグネットマウント",
        "Magnetic mount",
        "アーム・カウンタウェイトへの取付用。",
        "For the arm or the counterweight.",
        "",
        "",
        "",
        "",
        500,
        IMG + "accessory.svg",
        [],
    ),
    (
        "AC-NAS-2TB",
        P.Category.ACCESSORY,
        "現場用NAS 2TB",
        "Site NAS 2 TB",
        "約30日分の録画を保存。返却時にデータを消去します。",
        "About 30 days of recordings; wiped on return.",
        "",
        P.Connectivity.WIRED,
        P.Power.AC,
        P.Recording.NAS,
        1500,
        IMG + "accessory.svg",
        [],
    ),
    (
        "NC-LTE-4K01",
        P.Category.NETWORK_CAMERA,
        "LTEクラウドカメラ 4K",
        "LTE cloud camera 4K",
        "SIM内蔵、AC電源。映像はクラウドに保存され、ブラウザ・アプリから閲覧できます。",
        "Built-in SIM, mains power. Recordings are kept in the cloud and viewed in a browser.",
        "3840x2160",
        P.Connectivity.LTE,
        P.Power.AC,
        P.Recording.CLOUD,
        12800,
        IMG + "network-camera.svg",
        [],
    ),
    (
        "NC-SOLAR-LTE02",
        P.Category.NETWORK_CAMERA,
        "ソーラー電源LTEカメラ",
        "Solar-powered LTE camera",
        "電源のない造成・河川現場向け。ソーラーパネルとバッテリーが付属します。",
        "For sites without power; comes with a solar panel and a battery.",
        "1920x1080",
        P.Connectivity.LTE,
        P.Power.SOLAR_BATTERY,
        P.Recording.CLOUD,
        19800,
        IMG + "network-camera.svg",
        ["AC-SOLAR-100W", "AC-BATT-LFP"],
    ),
    (
        "NC-BATT-LTE05",
        P.Category.NETWORK_CAMERA,
        "バッテリー駆動LTEカメラ",
        "Battery-powered LTE camera",
        "短期の定点撮影向け。約7日間稼働。",
        "For short fixed-point shooting; about seven days per charge.",
        "1920x1080",
        P.Connectivity.LTE,
        P.Power.BATTERY,
        P.Recording.CLOUD,
        14800,
        IMG + "network-camera.svg",
        [],
    ),
    (
        "NC-WIFI-PTZ03",
        P.Category.NETWORK_CAMERA,
        "Wi-Fi PTZカメラ（SD録画）",
        "Wi-Fi PTZ camera (SD recording)",
        "現場事務所のWi-Fiに接続。パン・チルト・ズーム対応、SDカードに録画します。",
        "Joins the site office Wi-Fi; pan, tilt and zoom; records to an SD card.",
        "1920x1080",
        P.Connectivity.WIFI,
        P.Power.AC,
        P.Recording.SD_CARD,
        8800,
        IMG + "network-camera.svg",
        [],
    ),
    (
        "NC-WIRED-NAS04",
        P.Category.NETWORK_CAMERA,
        "有線ネットワークカメラ（NAS録画）",
        "Wired network camera (NAS recording)",
        "PoE給電、現場用NASに録画します。",
        "PoE powered; records to the site NAS.",
        "2560x1440",
        P.Connectivity.WIRED,
        P.Power.POE,
        P.Recording.NAS,
        6800,
        IMG + "network-camera.svg",
        ["AC-NAS-2TB"],
    ),
    (
        "BH-CAM-2CH",
        P.Category.BACKHOE_CAMERA_SYSTEM,
        "バックホウカメラシステム 2カメラ",
        "Backhoe camera system, 2 cameras",
        "後方・右側方の2カメラと車載モニター。運転席から死角を確認できます。",
        "Rear and right-side cameras with an in-cab monitor to check blind spots.",
        "1280x720",
        P.Connectivity.WIFI,
        P.Power.VEHICLE,
        P.Recording.SD_CARD,
        15000,
        IMG + "backhoe-camera.svg",
        ["AC-MON-7", "AC-MAG-MOUNT"],
    ),
    (
        "BH-CAM-4CH",
        P.Category.BACKHOE_CAMERA_SYSTEM,
        "バックホウカメラシステム 4カメラ＋クラウド",
        "Backhoe camera system, 4 cameras + cloud",
        "4方向カメラ、車載モニター、LTEでクラウドに録画。現場事務所から稼働状況を確認できます。",
        "Four cameras, an in-cab monitor and LTE recording to the cloud.",
        "1920x1080",
        P.Connectivity.LTE,
        P.Power.VEHICLE,
        P.Recording.CLOUD,
        24000,
        IMG + "backhoe-camera.svg",
        ["AC-MON-7", "AC-MAG-MOUNT"],
    ),
]

UNITS_PER_PRODUCT = 6
DEMO_COMPANY = "株式会社山田建設"
DEMO_STAFF = "admin@cts.example.jp"


class Command(BaseCommand):
    help = "Creates the demo catalogue, units and a running rental for the demo company."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        products = self._catalogue()
        units = self._units(products)
        rental = self._demo_rental(products)
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalogue ready: {len(products)} products, {units} new units"
                + (f", demo rental #{rental.pk}." if rental else ".")
            )
        )

    def _catalogue(self) -> dict[str, Product]:
        products: dict[str, Product] = {}
        for row in PRODUCTS:
            (code, category, ja, en, desc_ja, desc_en, res, conn, power, rec, fee, image, acc) = row
            product, _ = Product.objects.get_or_create(
                model_code=code,
                defaults={
                    "category": category,
                    "name_ja": ja,
                    "name_en": en,
                    "description_ja": desc_ja,
                    "description_en": desc_en,
                    "resolution": res,
                    "connectivity": conn,
                    "power": power,
                    "recording": rec,
                    "monthly_fee_yen": fee,
                    "image": image,
                },
            )
            products[code] = product
            if acc:
                product.accessories.add(*[products[a] for a in acc])
        return products

    def _units(self, products: dict[str, Product]) -> int:
        existing = set(Unit.objects.values_list("product__model_code", "serial"))
        new = []
        for code, product in products.items():
            prefix = "".join(part[:2] for part in code.split("-"))
            for n in range(1, UNITS_PER_PRODUCT + 1):
                serial = f"{prefix}-26{n:04d}"
                if (code, serial) not in existing:
                    new.append(Unit(product=product, serial=serial))
        Unit.objects.bulk_create(new)
        return len(new)

    def _demo_rental(self, products: dict[str, Product]) -> Rental | None:
        customer = Customer.objects.filter(name=DEMO_COMPANY).first()
        staff = User.objects.filter(email=DEMO_STAFF).first()
        if customer is None or staff is None or Rental.objects.filter(customer=customer).exists():
            return None
        owner = Membership.objects.get(customer=customer, role=Membership.Role.OWNER).user
        demo_usage_contract(customer=customer, owner=owner, staff=staff)
        product = products["BH-CAM-2CH"]
        rental = services.rental_request(
            customer=customer,
            user=owner,
            data=services.RentalRequestData(
                product=product,
                quantity=1,
                site_name="国道20号 拡幅工事（八王子工区）",
                site_address="東京都八王子市高尾町1000番地先",
                desired_start=timezone.localdate(),
                machine_maker="コマツ",
                machine_model="PC200-11",
                machine_number="KMT-PC200-35521",
            ),
            backhoe_acknowledged=True,
            acknowledgement_language="ja",
        )
        unit = Unit.objects.filter(product=product, state=Unit.State.IN_STOCK).order_by("serial")[0]
        services.rental_approve(rental=rental, unit_ids=[unit.pk], actor=staff)
        return rental_operations.rental_record_delivery(
            rental=rental, actor=staff, delivered_at=timezone.now() - timedelta(days=20)
        )
