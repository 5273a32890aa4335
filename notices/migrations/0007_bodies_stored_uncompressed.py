"""Notices are written in bulk by the lifecycle jobs (a few kilobytes each: subject, text and
HTML) and read one at a time: PostgreSQL's default compresses every row over about 2 kB on
insert, which took half of a job's time to write them. Rows up to a page's size are now
stored as they are; a larger one (a long return list) is still compressed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notices", "0006_lean_indexes")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE notices_notice SET (toast_tuple_target = 8160)",
            reverse_sql="ALTER TABLE notices_notice RESET (toast_tuple_target)",
        )
    ]
