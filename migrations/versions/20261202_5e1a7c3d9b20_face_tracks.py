"""A film's detected face is a track: the same face followed through the film's densely scanned
frames. media_face gets the track's first and last millisecond and its boxes on every scanned
frame, compactly as one JSON array of [ms, x, y, w, h] rows (not one row per frame). frame_ms and
the box columns keep the track's representative detection; photos leave the new columns empty.

Revision ID: 5e1a7c3d9b20
Revises: c3f5a7d91e20
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1a7c3d9b20'
down_revision = 'c3f5a7d91e20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('track', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.drop_column('track')
        batch_op.drop_column('last_ms')
        batch_op.drop_column('first_ms')
