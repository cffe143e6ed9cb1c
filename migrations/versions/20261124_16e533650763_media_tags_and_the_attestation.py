"""Tags of people shown or heard in media, and the "everyone is tagged" attestation.

Revision ID: 16e533650763
Revises: fd0bc34b1fd9
Create Date: 2026-11-24 16:34:32.403912

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16e533650763'
down_revision = 'fd0bc34b1fd9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('box_x', sa.Float(), nullable=True),
    sa.Column('box_y', sa.Float(), nullable=True),
    sa.Column('box_w', sa.Float(), nullable=True),
    sa.Column('box_h', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_media_tag_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_media_tag_media_id_media_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_media_tag_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_tag')),
    sa.UniqueConstraint('media_id', 'person_id', name=op.f('uq_media_tag_media_id_person_id'))
    )
    with op.batch_alter_table('media_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_tag_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_tag_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags_complete', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('tags_attested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tags_attested_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_media_item_tags_attested_by_id_user_account'), 'user_account', ['tags_attested_by_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_media_item_tags_attested_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('tags_attested_at')
        batch_op.drop_column('tags_attested_by_id')
        batch_op.drop_column('tags_complete')

    with op.batch_alter_table('media_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_tag_person_id'))
        batch_op.drop_index(batch_op.f('ix_media_tag_media_id'))

    op.drop_table('media_tag')
