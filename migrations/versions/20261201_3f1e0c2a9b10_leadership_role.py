"""The leadership role (schoolleiding): a role value more in user_role's CHECK constraint.

Revision ID: 3f1e0c2a9b10
Revises: 1d8b847fdf92
Create Date: 2026-12-01 19:30:00

"""
from alembic import op


revision = '3f1e0c2a9b10'
down_revision = '1d8b847fdf92'
branch_labels = None
depends_on = None

BEFORE = "role IN ('parent', 'teacher', 'communications', 'admin')"
AFTER = "role IN ('parent', 'teacher', 'communications', 'leadership', 'admin')"


def upgrade():
    with op.batch_alter_table('user_role') as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role'), type_='check')
        batch_op.create_check_constraint('role', AFTER)


def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'leadership'")
    with op.batch_alter_table('user_role') as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role'), type_='check')
        batch_op.create_check_constraint('role', BEFORE)
