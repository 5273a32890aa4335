"""The "measures" group: staff in it may take the provider's measures (suspend and lift,
revoke, give and withdraw the provider's notice of cancellation: Art. 12(1)(3); announce a
service end and schedule an interruption: Art. 8; record returns: Art. 12(5)), and open the
screens they are taken on. Created here so that it exists on a fresh install, not only
after seed_demo. The names are frozen copies of ``contracts.models.measures``."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "measures"
CODENAMES = [
    "suspend_customer",
    "revoke_registration",
    "cancel_for_provider",
    "announce_service_end",
    "schedule_interruption",
    "record_returns",
    "view_returnchecklist",
    "view_serviceend",
    "view_serviceinterruption",
]


def create_group(apps, schema_editor):
    # Permissions are created after the last migration (post_migrate); this one needs them
    # now, so it creates the contracts app's (the function skips an app whose models module
    # is unset, as it is in a migration's state; the tests call this with the real registry).
    contracts = apps.get_app_config("contracts")
    models_module = getattr(contracts, "models_module", None)
    contracts.models_module = models_module or True
    try:
        create_permissions(contracts, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    finally:
        contracts.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="contracts", codename__in=CODENAMES)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0012_measures_permissions"),
        ("contracts", "0002_reviewers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
