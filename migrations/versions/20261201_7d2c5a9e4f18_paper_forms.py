"""Paper forms printed by the system: a random code per person and form version (paper_code),
the signed papers as entered with their scans (paper_return), and the decisions each paper made
(paper_return_decision).

Revision ID: 7d2c5a9e4f18
Revises: d583addf849c
Create Date: 2026-12-01 22:30:00

"""
from alembic import op
import sqlalchemy as sa

import app.timestamps


revision = '7d2c5a9e4f18'
down_revision = 'd583addf849c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['consent_form.id'], name=op.f('fk_paper_code_form_id_consent_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_paper_code_subject_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_code')),
    sa.UniqueConstraint('code', name=op.f('uq_paper_code_code')),
    sa.UniqueConstraint('subject_id', 'form_id', name=op.f('uq_paper_code_subject_id_form_id'))
    )
    with op.batch_alter_table('paper_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_code_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_code_subject_id'), ['subject_id'], unique=False)

    op.create_table('paper_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', app.timestamps.UTCDateTime(), nullable=False),
    sa.Column('scan_key', sa.String(length=120), nullable=True),
    sa.Column('scan_mime', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['paper_code.id'], name=op.f('fk_paper_return_code_id_paper_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['consent_form.id'], name=op.f('fk_paper_return_form_id_consent_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_paper_return_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['person.id'], name=op.f('fk_paper_return_signed_by_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_paper_return_subject_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_return'))
    )
    with op.batch_alter_table('paper_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_return_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_return_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_return_signed_by_id'), ['signed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_return_subject_id'), ['subject_id'], unique=False)

    op.create_table('paper_return_decision',
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('paper_return_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_paper_return_decision_decision_id_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_return_id'], ['paper_return.id'], name=op.f('fk_paper_return_decision_paper_return_id_paper_return'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_paper_return_decision'))
    )
    with op.batch_alter_table('paper_return_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_return_decision_paper_return_id'), ['paper_return_id'], unique=False)

def downgrade():
    with op.batch_alter_table('paper_return_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_return_decision_paper_return_id'))

    op.drop_table('paper_return_decision')
    with op.batch_alter_table('paper_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_return_subject_id'))
        batch_op.drop_index(batch_op.f('ix_paper_return_signed_by_id'))
        batch_op.drop_index(batch_op.f('ix_paper_return_form_id'))
        batch_op.drop_index(batch_op.f('ix_paper_return_code_id'))

    op.drop_table('paper_return')
    with op.batch_alter_table('paper_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_code_subject_id'))
        batch_op.drop_index(batch_op.f('ix_paper_code_form_id'))

    op.drop_table('paper_code')
