"""A withdrawal taken down by an administrator: decision.means may be 'phone', 'desk' or
'letter', and a decision keeps the administrator's note.

SQLite changes a CHECK constraint by rebuilding the table, inside the migration's transaction
(where foreign keys cannot be switched off): dropping the old table would delete what points at
its rows (decision_latest refuses, takedown.decision_id would be set to NULL), so those references
are kept aside and put back after the rebuild; the trigger that refuses updates, dropped with the
old table, is created again.

Revision ID: 4e7b1c9d2a60
Revises: 5a7c3e91d2b4
Create Date: 2026-12-01 22:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "4e7b1c9d2a60"
down_revision = "5a7c3e91d2b4"
branch_labels = None
depends_on = None

NO_UPDATE = "decision rows are never updated; record a new decision instead"
BEFORE = "means IN ('web', 'paper', 'import', 'api')"
AFTER = "means IN ('web', 'paper', 'import', 'api', 'phone', 'desk', 'letter')"


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _rebuild(check, note):
    if _sqlite():
        op.execute("CREATE TEMP TABLE keep_decision_latest AS SELECT * FROM decision_latest")
        op.execute(
            "CREATE TEMP TABLE keep_takedown_decision AS "
            "SELECT id, decision_id FROM takedown WHERE decision_id IS NOT NULL"
        )
        op.execute("DELETE FROM decision_latest")
        op.execute("DROP TRIGGER IF EXISTS decision_no_update")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_decision_decision_means"), type_="check")
        batch_op.create_check_constraint("decision_means", check)
        if note:
            batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        else:
            batch_op.drop_column("note")
    if _sqlite():
        op.execute("INSERT INTO decision_latest SELECT * FROM keep_decision_latest")
        op.execute(
            "UPDATE takedown SET decision_id = "
            "(SELECT k.decision_id FROM keep_takedown_decision AS k WHERE k.id = takedown.id) "
            "WHERE id IN (SELECT id FROM keep_takedown_decision)"
        )
        op.execute("DROP TABLE keep_decision_latest")
        op.execute("DROP TABLE keep_takedown_decision")
        op.execute(
            f"CREATE TRIGGER decision_no_update BEFORE UPDATE ON decision BEGIN SELECT RAISE(ABORT, '{NO_UPDATE}'); END"
        )


def upgrade():
    _rebuild(AFTER, note=True)


def downgrade():
    # Decisions are never updated; going back, a withdrawal taken by an administrator becomes what
    # the older schema knew for it: an event entered by the school on paper.
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS decision_no_update")
    else:
        op.execute("ALTER TABLE decision DISABLE TRIGGER decision_no_update")
    op.execute("UPDATE decision SET means = 'paper' WHERE means IN ('phone', 'desk', 'letter')")
    if not _sqlite():
        op.execute("ALTER TABLE decision ENABLE TRIGGER decision_no_update")
    _rebuild(BEFORE, note=False)
