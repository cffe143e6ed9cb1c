"""Films whose faces were looked for on six sampled frames only (processed before films were scanned
throughout, 5e1a7c3d9b20) are marked: the gate blocks them until they are scanned again, because a
child who walked through between two samples was never seen. A film counts as sampled when none of
its faces is a track; a film scanned throughout that has no faces at all is marked too (it cannot be
told apart), and scanning it again costs only time.

Revision ID: 9a4f2c7e1b58
Revises: 81fc1d79fe9c
Create Date: 2026-12-03 07:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '9a4f2c7e1b58'
down_revision = '81fc1d79fe9c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_item') as batch_op:
        batch_op.add_column(sa.Column('sampled_only', sa.Boolean(), nullable=False, server_default=sa.false()))
    item = sa.table(
        'media_item',
        sa.column('id', sa.Integer),
        sa.column('media_type', sa.String),
        sa.column('processing_state', sa.String),
        sa.column('sampled_only', sa.Boolean),
    )
    face = sa.table('media_face', sa.column('media_id', sa.Integer), sa.column('track', sa.JSON))
    # A face without a track has SQL NULL (from before the column) or JSON null (written as None).
    tracked = (
        sa.select(face.c.media_id)
        .where(face.c.media_id == item.c.id, face.c.track.is_not(None), sa.cast(face.c.track, sa.Text) != 'null')
        .correlate(item)
    )
    op.execute(
        item.update()
        .where(item.c.media_type == 'film', item.c.processing_state == 'ready', ~tracked.exists())
        .values(sampled_only=True)
    )


def downgrade():
    with op.batch_alter_table('media_item') as batch_op:
        batch_op.drop_column('sampled_only')
