"""Consent form versions and the append-only decisions table.

Revision ID: 45f08f46009b
Revises: a451f3cb0da0
Create Date: 2026-11-24 16:00:49.922835

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45f08f46009b'
down_revision = 'a451f3cb0da0'
branch_labels = None
depends_on = None


NO_UPDATE = "decision rows are never updated; record a new decision instead"


def _guard_decisions():
    """Refuse UPDATE of decisions in the database itself. DELETE stays possible for the
    audited erasure of a person (GDPR art. 17)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION decision_no_update() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{NO_UPDATE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER decision_no_update BEFORE UPDATE ON decision "
            "FOR EACH ROW EXECUTE FUNCTION decision_no_update()"
        )
    else:
        op.execute(
            "CREATE TRIGGER decision_no_update BEFORE UPDATE ON decision "
            f"BEGIN SELECT RAISE(ABORT, '{NO_UPDATE}'); END"
        )


def _unguard_decisions():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_no_update ON decision")
        op.execute("DROP FUNCTION IF EXISTS decision_no_update()")
    else:
        op.execute("DROP TRIGGER IF EXISTS decision_no_update")


def upgrade():
    op.create_table('consent_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('validity', sa.Enum('school_year', 'until_withdrawn', name='validity', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('school_year', sa.String(length=20), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_file', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_form')),
    sa.UniqueConstraint('form_key', 'version', name=op.f('uq_consent_form_form_key_version'))
    )
    op.create_table('decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.Enum('photo', 'film', 'audio', name='media_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('action', sa.Enum('grant', 'refuse', 'withdraw', name='decision_action', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('means', sa.Enum('web', 'paper', 'import', 'api', name='decision_means', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'], name=op.f('fk_decision_decided_by_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['form_id'], ['consent_form.id'], name=op.f('fk_decision_form_id_consent_form'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_decision_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_decision_subject_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_form_id'), ['form_id'], unique=False)
        batch_op.create_index('ix_decision_lookup', ['subject_id', 'media_type', 'purpose', 'decided_by_id', 'decided_at'], unique=False)
    _guard_decisions()


def downgrade():
    _unguard_decisions()
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_lookup')
        batch_op.drop_index(batch_op.f('ix_decision_form_id'))
        batch_op.drop_index(batch_op.f('ix_decision_decided_by_id'))

    op.drop_table('decision')
    op.drop_table('consent_form')
