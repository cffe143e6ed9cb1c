"""Consent campaigns: an administrator asks an audience (all families, one group, staff or
volunteers) to answer the form in force before a deadline; the mails a campaign sent are kept, so
reminders are spaced, the teachers' escalation goes once and resends are limited to one a day.

Revision ID: d583addf849c
Revises: 5e7a1c3d9f20
Create Date: 2026-12-01 22:18:40.929880

"""
from alembic import op
import sqlalchemy as sa


revision = 'd583addf849c'
down_revision = '5e7a1c3d9f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('families', 'group', 'staff', 'volunteers', name='campaign_audience', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(audience = 'group') = (group_id IS NOT NULL)", name=op.f('ck_consent_campaign_group_iff_group_audience')),
    sa.ForeignKeyConstraint(['form_id'], ['consent_form.id'], name=op.f('fk_consent_campaign_form_id_consent_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_consent_campaign_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_consent_campaign_started_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_campaign'))
    )
    with op.batch_alter_table('consent_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_campaign_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_campaign_group_id'), ['group_id'], unique=False)

    op.create_table('consent_campaign_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reminder', 'invitation', 'resend', 'escalation', name='campaign_mail_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['consent_campaign.id'], name=op.f('fk_consent_campaign_mail_campaign_id_consent_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_consent_campaign_mail_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['person.id'], name=op.f('fk_consent_campaign_mail_recipient_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_campaign_mail'))
    )
    with op.batch_alter_table('consent_campaign_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_campaign_mail_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_consent_campaign_mail_lookup', ['campaign_id', 'recipient_id', 'sent_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_campaign_mail_recipient_id'), ['recipient_id'], unique=False)



def downgrade():
    with op.batch_alter_table('consent_campaign_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_campaign_mail_recipient_id'))
        batch_op.drop_index('ix_consent_campaign_mail_lookup')
        batch_op.drop_index(batch_op.f('ix_consent_campaign_mail_group_id'))

    op.drop_table('consent_campaign_mail')
    with op.batch_alter_table('consent_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_campaign_group_id'))
        batch_op.drop_index(batch_op.f('ix_consent_campaign_form_id'))

    op.drop_table('consent_campaign')
