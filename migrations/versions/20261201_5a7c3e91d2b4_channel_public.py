"""Purposes belong to the consent form: a channel carries whether its purpose is public in the form
in force (kept by ``flask consent-forms sync`` and by saving the channel), so the gate reads it
from the channel's row instead of a list in the code.

Revision ID: 5a7c3e91d2b4
Revises: 9c4d2e7a5b31
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '5a7c3e91d2b4'
down_revision = '9c4d2e7a5b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channel') as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
    # What the code said until now: these four purposes are public.
    op.execute(
        "UPDATE channel SET public = true "
        "WHERE purpose IN ('school_guide', 'website', 'social_media', 'press')"
    )


def downgrade():
    with op.batch_alter_table('channel') as batch_op:
        batch_op.drop_column('public')
