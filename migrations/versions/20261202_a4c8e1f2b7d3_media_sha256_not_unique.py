"""The same bytes may be two media items: an upload of a file that is already in a group the
uploader cannot see becomes an item of its own in the uploader's album (it shares the stored,
content-addressed files). media_item.sha256 loses its unique constraint and gets an index.

A downgrade fails while two items share their bytes (delete one of them first).

Revision ID: a4c8e1f2b7d3
Revises: 7d2c5a9e4f18
Create Date: 2026-12-02 10:00:00

"""
from alembic import op


revision = 'a4c8e1f2b7d3'
down_revision = '7d2c5a9e4f18'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_media_item_sha256'), type_='unique')
        batch_op.create_index(batch_op.f('ix_media_item_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_item_sha256'))
        batch_op.create_unique_constraint(batch_op.f('uq_media_item_sha256'), ['sha256'])
