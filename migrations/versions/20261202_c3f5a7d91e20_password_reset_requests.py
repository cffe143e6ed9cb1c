"""Password reset requests: the form writes the address and a job (the same work for every address),
and the job mails the link when an account has it, then removes the row.

Revision ID: c3f5a7d91e20
Revises: b791c6a6b393
Create Date: 2026-12-02 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.timestamps


# revision identifiers, used by Alembic.
revision = 'c3f5a7d91e20'
down_revision = 'b791c6a6b393'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('password_reset_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_request'))
    )


def downgrade():
    op.drop_table('password_reset_request')
