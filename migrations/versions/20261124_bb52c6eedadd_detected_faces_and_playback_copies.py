"""Faces found by the detector (boxes only), to be matched to a tag or dismissed; and the
tag-free playback copy of films and sound.

Revision ID: bb52c6eedadd
Revises: 16e533650763
Create Date: 2026-11-24 19:28:06.118164

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb52c6eedadd'
down_revision = '16e533650763'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_face',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('frame_ms', sa.Integer(), nullable=True),
    sa.Column('box_x', sa.Float(), nullable=False),
    sa.Column('box_y', sa.Float(), nullable=False),
    sa.Column('box_w', sa.Float(), nullable=False),
    sa.Column('box_h', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_reason', sa.Enum('not_a_face', 'not_recognisable', name='media_face_dismissed', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['user_account.id'], name=op.f('fk_media_face_dismissed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_media_face_media_id_media_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_media_face_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_face'))
    )
    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_face_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_face_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('playback_name', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_column('playback_name')

    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_face_person_id'))
        batch_op.drop_index(batch_op.f('ix_media_face_media_id'))

    op.drop_table('media_face')
