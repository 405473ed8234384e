from django.db import migrations


class Migration(migrations.Migration):
    """Make the audit log append-only in the database itself, and give it its id sequence."""

    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE SEQUENCE audit_entry_id_seq;
            CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only: % on audit_auditentry refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$;
            CREATE TRIGGER audit_entry_append_only
                BEFORE UPDATE OR DELETE ON audit_auditentry
                FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();
            """,
            reverse_sql="""
            DROP TRIGGER audit_entry_append_only ON audit_auditentry;
            DROP FUNCTION audit_entry_refuse_change();
            DROP SEQUENCE audit_entry_id_seq;
            """,
        ),
    ]
