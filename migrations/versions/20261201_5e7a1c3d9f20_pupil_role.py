"""The pupil role: pupils of 16 and older sign in to decide about themselves; a role value more
in user_role's CHECK constraint.

Revision ID: 5e7a1c3d9f20
Revises: 4e7b1c9d2a60
Create Date: 2026-12-01 21:00:00

"""
from alembic import op


revision = '5e7a1c3d9f20'
down_revision = '4e7b1c9d2a60'
branch_labels = None
depends_on = None

BEFORE = "role IN ('parent', 'teacher', 'communications', 'leadership', 'admin')"
AFTER = "role IN ('parent', 'teacher', 'communications', 'leadership', 'admin', 'pupil')"


def upgrade():
    with op.batch_alter_table('user_role') as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role'), type_='check')
        batch_op.create_check_constraint('role', AFTER)


def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'pupil'")
    with op.batch_alter_table('user_role') as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role'), type_='check')
        batch_op.create_check_constraint('role', BEFORE)
