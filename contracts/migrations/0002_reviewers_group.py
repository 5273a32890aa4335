"""The "reviewers" group: staff in it may approve or refuse applications (Art. 4(2)-(3)).
Created here so that it exists on a fresh install, not only after seed_demo."""

from django.db import migrations


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="reviewers")


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
