"""Albums and media items (photos first; films and sound follow).

Revision ID: fd0bc34b1fd9
Revises: d68b59a008fa
Create Date: 2026-11-24 16:26:17.701444

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fd0bc34b1fd9'
down_revision = 'd68b59a008fa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('album',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_album_group_id_school_group'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_album')),
    sa.UniqueConstraint('group_id', 'title', 'taken_on', name=op.f('uq_album_group_id_title_taken_on'))
    )
    with op.batch_alter_table('album', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_album_group_id'), ['group_id'], unique=False)

    op.create_table('media_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.Enum('photo', 'film', 'audio', name='media_item_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('mime_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('album_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['album_id'], ['album.id'], name=op.f('fk_media_item_album_id_album'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_media_item_group_id_school_group'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_media_item_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_item')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_item_sha256'))
    )
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_item_album_id'), ['album_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_item_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_item_media_type'), ['media_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_item_uploaded_at'), ['uploaded_at'], unique=False)



def downgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_item_uploaded_at'))
        batch_op.drop_index(batch_op.f('ix_media_item_media_type'))
        batch_op.drop_index(batch_op.f('ix_media_item_group_id'))
        batch_op.drop_index(batch_op.f('ix_media_item_album_id'))

    op.drop_table('media_item')
    with op.batch_alter_table('album', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_album_group_id'))

    op.drop_table('album')
