"""People from outside the school: marked on one item (with a face, a box, or neither), and their
own consent per media type and public purpose, recorded by an administrator with an optional scan.
A detected face can be someone from outside the school (media_face.outside_person_id).

Revision ID: 32dfca23da25
Revises: b0f07c834ffa
Create Date: 2026-12-01 19:07:48.526286

"""
from alembic import op
import sqlalchemy as sa


revision = '32dfca23da25'
down_revision = 'b0f07c834ffa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outside_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('box_x', sa.Float(), nullable=True),
    sa.Column('box_y', sa.Float(), nullable=True),
    sa.Column('box_w', sa.Float(), nullable=True),
    sa.Column('box_h', sa.Float(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_outside_person_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_outside_person_media_id_media_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_person'))
    )
    with op.batch_alter_table('outside_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outside_person_media_id'), ['media_id'], unique=False)

    op.create_table('outside_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outside_person_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.Enum('photo', 'film', 'audio', name='outside_consent_media_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('scan_key', sa.String(length=120), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outside_person_id'], ['outside_person.id'], name=op.f('fk_outside_consent_outside_person_id_outside_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_outside_consent_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], name=op.f('fk_outside_consent_withdrawn_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_consent'))
    )
    with op.batch_alter_table('outside_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outside_consent_outside_person_id'), ['outside_person_id'], unique=False)

    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_media_face_outside_person_id'), ['outside_person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_media_face_outside_person_id_outside_person'), 'outside_person', ['outside_person_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('media_face', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_media_face_outside_person_id_outside_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_media_face_outside_person_id'))
        batch_op.drop_column('outside_person_id')

    with op.batch_alter_table('outside_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outside_consent_outside_person_id'))

    op.drop_table('outside_consent')
    with op.batch_alter_table('outside_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outside_person_media_id'))

    op.drop_table('outside_person')
