"""Release: channels (with the defaults), exports and their evidence, publications, takedowns,
quarantines and incidents.

Revision ID: 1d8b847fdf92
Revises: bb52c6eedadd
Create Date: 2026-11-24 19:52:45.016480

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1d8b847fdf92'
down_revision = 'bb52c6eedadd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('export_side', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel')),
    sa.UniqueConstraint('key', name=op.f('uq_channel_key'))
    )
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=80), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('measure', sa.Enum('none_yet', 'conversation', 'warning', 'reprimand', 'suspension', 'dismissal', 'summary_dismissal', 'removal_from_school', 'police_report', name='incident_measure', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_incident_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    op.create_table('media_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('blurred', sa.Boolean(), nullable=False),
    sa.Column('bundle_token', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_media_export_channel_id_channel'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_media_export_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_export')),
    sa.UniqueConstraint('bundle_token', name=op.f('uq_media_export_bundle_token'))
    )
    with op.batch_alter_table('media_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_export_channel_id'), ['channel_id'], unique=False)

    op.create_table('incident_person',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_person_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_incident_person_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'person_id', name=op.f('pk_incident_person'))
    )
    op.create_table('media_export_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=80), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['media_export.id'], name=op.f('fk_media_export_item_export_id_media_export'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_media_export_item_media_id_media_item'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_export_item')),
    sa.UniqueConstraint('export_id', 'media_id', name=op.f('uq_media_export_item_export_id_media_id'))
    )
    with op.batch_alter_table('media_export_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_export_item_export_id'), ['export_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_export_item_media_id'), ['media_id'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_publication_channel_id_channel'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_publication_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['export_id'], ['media_export.id'], name=op.f('fk_publication_export_id_media_export'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_publication_media_id_media_item'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_export_id'), ['export_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_media_id'), ['media_id'], unique=False)

    op.create_table('takedown',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.Enum('open', 'resolved', name='takedown_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_takedown_decision_id_decision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_takedown_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_takedown_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_takedown_publication_id_publication'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'], name=op.f('fk_takedown_resolved_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_takedown'))
    )
    with op.batch_alter_table('takedown', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_takedown_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_takedown_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_takedown_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_takedown_status'), ['status'], unique=False)

    op.create_table('media_quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('takedown_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['media_id'], ['media_item.id'], name=op.f('fk_media_quarantine_media_id_media_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['takedown_id'], ['takedown.id'], name=op.f('fk_media_quarantine_takedown_id_takedown'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_quarantine'))
    )
    with op.batch_alter_table('media_quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_quarantine_media_id'), ['media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_quarantine_takedown_id'), ['takedown_id'], unique=False)

    channel = sa.table(
        "channel",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("purpose", sa.String),
        sa.column("export_side", sa.Integer),
        sa.column("enabled", sa.Boolean),
    )
    op.bulk_insert(
        channel,
        [
            {"key": "instagram", "name": "Instagram", "purpose": "social_media", "export_side": 1080, "enabled": True},
            {"key": "facebook", "name": "Facebook", "purpose": "social_media", "export_side": 1080, "enabled": True},
            {"key": "website", "name": "Website", "purpose": "website", "export_side": 1600, "enabled": True},
            {"key": "newsletter", "name": "Nieuwsbrief", "purpose": "newsletter", "export_side": 1200, "enabled": True},
            {"key": "school_guide", "name": "Schoolgids", "purpose": "school_guide", "export_side": None, "enabled": True},
            {"key": "parent_portal", "name": "Ouderportaal", "purpose": "parent_portal", "export_side": 1600, "enabled": True},
        ],
    )


def downgrade():
    with op.batch_alter_table('media_quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_quarantine_takedown_id'))
        batch_op.drop_index(batch_op.f('ix_media_quarantine_media_id'))

    op.drop_table('media_quarantine')
    with op.batch_alter_table('takedown', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_takedown_status'))
        batch_op.drop_index(batch_op.f('ix_takedown_publication_id'))
        batch_op.drop_index(batch_op.f('ix_takedown_person_id'))
        batch_op.drop_index(batch_op.f('ix_takedown_incident_id'))

    op.drop_table('takedown')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_media_id'))
        batch_op.drop_index(batch_op.f('ix_publication_export_id'))
        batch_op.drop_index(batch_op.f('ix_publication_channel_id'))

    op.drop_table('publication')
    with op.batch_alter_table('media_export_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_export_item_media_id'))
        batch_op.drop_index(batch_op.f('ix_media_export_item_export_id'))

    op.drop_table('media_export_item')
    op.drop_table('incident_person')
    with op.batch_alter_table('media_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_export_channel_id'))

    op.drop_table('media_export')
    op.drop_table('incident')
    op.drop_table('channel')
