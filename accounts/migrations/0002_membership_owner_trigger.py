"""Exactly one owner per customer. The partial unique constraint of 0001 allows at most one;
this deferred constraint trigger refuses, at commit, a transaction that leaves a customer
with members but no owner (so an ownership hand-over inside one transaction is fine).
PostgreSQL only: the SQLite database of `make run` relies on the services."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_membership_require_owner() RETURNS trigger AS $$
DECLARE
    cid bigint;
    cids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        cids := ARRAY[NEW.customer_id];
    ELSIF TG_OP = 'DELETE' THEN
        cids := ARRAY[OLD.customer_id];
    ELSE
        cids := ARRAY[OLD.customer_id, NEW.customer_id];
    END IF;
    FOREACH cid IN ARRAY cids LOOP
        IF EXISTS (SELECT 1 FROM accounts_membership WHERE customer_id = cid)
           AND NOT EXISTS (
               SELECT 1 FROM accounts_membership WHERE customer_id = cid AND role = 'owner'
           ) THEN
            RAISE EXCEPTION 'customer % must have exactly one owner', cid
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER accounts_membership_require_owner
    AFTER INSERT OR UPDATE OR DELETE ON accounts_membership
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounts_membership_require_owner();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_membership_require_owner ON accounts_membership;
DROP FUNCTION IF EXISTS accounts_membership_require_owner();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
