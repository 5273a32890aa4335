"""Notices are written in bulk by the lifecycle jobs (a few kilobytes each: subject, text and
HTML) and read one at a time: PostgreSQL's default compresses every row over about 2 kB on
insert, which took half of a job's time to write them. Rows up to a page's size are now
stored as they are; a larger one (a long return list) is still compressed.

A storage parameter of PostgreSQL only: `make run`'s SQLite has no such thing (and the
statement is a syntax error there), so it is skipped on other databases."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE notices_notice SET (toast_tuple_target = 8160)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE notices_notice RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [("notices", "0006_lean_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
