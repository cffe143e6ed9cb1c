"""The latest decision of each decider per subject, media type and purpose (decision_latest,
with the decision's action, time and form copied: decisions are never updated), back-filled
from the decisions: the gate and the overviews read "now" without the history.

Revision ID: 9c4d2e7a5b31
Revises: 32dfca23da25
Create Date: 2026-12-01 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9c4d2e7a5b31'
down_revision = '32dfca23da25'
branch_labels = None
depends_on = None

# The same order as the rules (decided_at, then id); kept afterwards by the application in the
# transaction of every decision (app.consent.operations) and by erasure.
BACKFILL = """
INSERT INTO decision_latest (subject_id, media_type, purpose, decided_by_id, decision_id, action, decided_at, form_id)
SELECT subject_id, media_type, purpose, decided_by_id, id, action, decided_at, form_id FROM (
    SELECT id, subject_id, media_type, purpose, decided_by_id, action, decided_at, form_id,
           ROW_NUMBER() OVER (PARTITION BY subject_id, media_type, purpose, decided_by_id
                              ORDER BY decided_at DESC, id DESC) AS rank
    FROM decision
) AS ranked
WHERE rank = 1
"""


def upgrade():
    op.create_table('decision_latest',
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.Enum('photo', 'film', 'audio', name='media_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.Enum('grant', 'refuse', 'withdraw', name='decision_action', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'], name=op.f('fk_decision_latest_decided_by_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_decision_latest_decision_id_decision')),
    sa.ForeignKeyConstraint(['form_id'], ['consent_form.id'], name=op.f('fk_decision_latest_form_id_consent_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_decision_latest_subject_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subject_id', 'media_type', 'purpose', 'decided_by_id', name=op.f('pk_decision_latest')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_decision_latest_decision_id'))
    )
    with op.batch_alter_table('decision_latest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_latest_decided_by_id'), ['decided_by_id'], unique=False)
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('decision_latest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_latest_decided_by_id'))

    op.drop_table('decision_latest')
