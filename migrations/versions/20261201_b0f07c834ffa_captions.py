"""The text of a post (caption) on exports and publications.

Revision ID: b0f07c834ffa
Revises: 26e56d6824c0
Create Date: 2026-12-01 21:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b0f07c834ffa'
down_revision = '26e56d6824c0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_export') as batch_op:
        batch_op.add_column(sa.Column('caption', sa.Text(), nullable=True))
    with op.batch_alter_table('publication') as batch_op:
        batch_op.add_column(sa.Column('caption', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('publication') as batch_op:
        batch_op.drop_column('caption')
    with op.batch_alter_table('media_export') as batch_op:
        batch_op.drop_column('caption')
