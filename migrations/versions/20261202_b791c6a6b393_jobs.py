"""Background jobs: the job table (the record of every piece of slow work), the mail outbox, and
the processing state of films and sound (every existing item is ready).

Revision ID: b791c6a6b393
Revises: a4c8e1f2b7d3
Create Date: 2026-12-02 00:48:45.619970

"""
from alembic import op
import sqlalchemy as sa

import app.timestamps


# revision identifiers, used by Alembic.
revision = 'b791c6a6b393'
down_revision = 'a4c8e1f2b7d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='job_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.Column('sent_at', app.timestamps.UTCDateTime(), nullable=True),
    sa.Column('started_at', app.timestamps.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', app.timestamps.UTCDateTime(), nullable=True),
    sa.Column('finished_at', app.timestamps.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_state_created_at', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_target_id'), ['target_id'], unique=False)

    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processing_state', sa.Enum('processing', 'ready', 'refused', 'failed', name='media_item_processing_state', native_enum=False, create_constraint=True, length=32), nullable=False, server_default='ready'))
        batch_op.add_column(sa.Column('processing_note', sa.String(length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_media_item_media_item_processing_state'), type_='check')
        batch_op.drop_column('processing_note')
        batch_op.drop_column('processing_state')

    op.drop_table('mail_outbox')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_target_id'))
        batch_op.drop_index('ix_job_state_created_at')

    op.drop_table('job')
