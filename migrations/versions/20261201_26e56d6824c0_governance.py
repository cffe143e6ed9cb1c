"""Release governance: approvals, export requests, the channel register and the items' release history.

Revision ID: 26e56d6824c0
Revises: 3f1e0c2a9b10
Create Date: 2026-12-01 19:02:40.217150

"""
from alembic import op
import sqlalchemy as sa

import app.timestamps


# revision identifiers, used by Alembic.
revision = '26e56d6824c0'
down_revision = '3f1e0c2a9b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channel_exporter',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_channel_exporter_channel_id_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_channel_exporter_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', 'user_id', name=op.f('pk_channel_exporter'))
    )
    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('tags', 'face', 'outsider', 'export', name='approval_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'approved', 'rejected', name='approval_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('export_id', sa.Integer(), nullable=True),
    sa.Column('change', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.timestamps.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_approval_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['export_id'], ['media_export.id'], name=op.f('fk_approval_export_id_media_export'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_approval_media_id_media_item'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_approval_proposed_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval'))
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_export_id'), ['export_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_status'), ['status'], unique=False)

    op.create_table('release_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('cause', sa.Enum('refused_export', 'clearance', name='release_block_cause', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_release_block_media_id_media_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_release_block_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_block')),
    sa.UniqueConstraint('media_id', 'person_id', 'cause', name=op.f('uq_release_block_media_id_person_id_cause'))
    )
    with op.batch_alter_table('release_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_block_media_id'), ['media_id'], unique=False)

    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_approval', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('handle', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('credentials_keeper', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('two_factor', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_channel_owner_id_user_account'), 'user_account', ['owner_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('media_export', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('awaiting_approval', 'released', 'rejected', name='export_status', native_enum=False, create_constraint=True, length=32), nullable=False, server_default='released'))
        batch_op.add_column(sa.Column('released_at', app.timestamps.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('downloaded_at', app.timestamps.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_media_export_status'), ['status'], unique=False)

    # Exports to the public purposes' channels wait for leadership from now on.
    op.execute(
        "UPDATE channel SET needs_approval = true"
        " WHERE purpose IN ('school_guide', 'website', 'social_media', 'press')"
    )
    op.execute("UPDATE media_export SET released_at = created_at")


def downgrade():
    with op.batch_alter_table('media_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_export_status'))
        batch_op.drop_constraint(op.f('ck_media_export_export_status'), type_='check')
        batch_op.drop_column('downloaded_at')
        batch_op.drop_column('released_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('channel', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_channel_owner_id_user_account'), type_='foreignkey')
        batch_op.drop_column('two_factor')
        batch_op.drop_column('credentials_keeper')
        batch_op.drop_column('owner_id')
        batch_op.drop_column('handle')
        batch_op.drop_column('needs_approval')

    with op.batch_alter_table('release_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_block_media_id'))

    op.drop_table('release_block')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_status'))
        batch_op.drop_index(batch_op.f('ix_approval_media_id'))
        batch_op.drop_index(batch_op.f('ix_approval_export_id'))

    op.drop_table('approval')
    op.drop_table('channel_exporter')
