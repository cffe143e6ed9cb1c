"""Films and sound are made anew for each channel: a channel carries the bitrate cap of its films'
picture (kbit/s), next to its export size. The default channels get what their sites take well.

Revision ID: 81fc1d79fe9c
Revises: 5e1a7c3d9b20
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '81fc1d79fe9c'
down_revision = '5e1a7c3d9b20'
branch_labels = None
depends_on = None

CAPS = {
    "instagram": 3500,
    "facebook": 4000,
    "website": 5000,
    "newsletter": 2000,
    "school_guide": 8000,
    "parent_portal": 4000,
}


def upgrade():
    with op.batch_alter_table('channel') as batch_op:
        batch_op.add_column(sa.Column('film_kbps', sa.Integer(), nullable=False, server_default='4000'))
    channel = sa.table('channel', sa.column('key', sa.String), sa.column('film_kbps', sa.Integer))
    for key, kbps in CAPS.items():
        op.execute(channel.update().where(channel.c.key == key).values(film_kbps=kbps))


def downgrade():
    with op.batch_alter_table('channel') as batch_op:
        batch_op.drop_column('film_kbps')
