"""The school, accounts and roles, and the hash-chained audit log.

Revision ID: a451f3cb0da0
Revises: 
Create Date: 2026-11-24 15:02:49.328144

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a451f3cb0da0'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = "audit_event is append-only"


def _guard_audit_log():
    """Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit rows in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb} BEFORE {verb.upper()} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _unguard_audit_log():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)
    _guard_audit_log()

    op.create_table('location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location')),
    sa.UniqueConstraint('name', name=op.f('uq_location_name'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('pupil', 'guardian', 'staff', 'volunteer', name='person_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('external_id', name=op.f('uq_person_external_id'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_last_name'), ['last_name'], unique=False)

    op.create_table('school_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('ends_on > starts_on', name=op.f('ck_school_year_ends_after_start')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_year')),
    sa.UniqueConstraint('name', name=op.f('uq_school_year_name'))
    )
    op.create_table('guardianship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('has_parental_authority', sa.Boolean(), nullable=False),
    sa.CheckConstraint('guardian_id <> pupil_id', name=op.f('ck_guardianship_not_own_guardian')),
    sa.ForeignKeyConstraint(['guardian_id'], ['person.id'], name=op.f('fk_guardianship_guardian_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pupil_id'], ['person.id'], name=op.f('fk_guardianship_pupil_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardianship')),
    sa.UniqueConstraint('guardian_id', 'pupil_id', name=op.f('uq_guardianship_guardian_id_pupil_id'))
    )
    with op.batch_alter_table('guardianship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardianship_guardian_id'), ['guardian_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardianship_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('school_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('school_year_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_school_group_location_id_location'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['school_year_id'], ['school_year.id'], name=op.f('fk_school_group_school_year_id_school_year'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_group')),
    sa.UniqueConstraint('school_year_id', 'location_id', 'name', name=op.f('uq_school_group_school_year_id_location_id_name'))
    )
    with op.batch_alter_table('school_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_group_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_group_school_year_id'), ['school_year_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_user_account_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email')),
    sa.UniqueConstraint('person_id', name=op.f('uq_user_account_person_id'))
    )
    op.create_table('account_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invitation', 'password_reset', name='token_purpose', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_account_token_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash'))
    )
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_token_user_id'), ['user_id'], unique=False)

    op.create_table('group_pupil',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_group_pupil_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_group_pupil_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'person_id', name=op.f('pk_group_pupil'))
    )
    with op.batch_alter_table('group_pupil', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_pupil_person_id'), ['person_id'], unique=False)

    op.create_table('group_teacher',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['school_group.id'], name=op.f('fk_group_teacher_group_id_school_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_group_teacher_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'person_id', name=op.f('pk_group_teacher'))
    )
    with op.batch_alter_table('group_teacher', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_teacher_person_id'), ['person_id'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('parent', 'teacher', 'communications', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )


def downgrade():
    op.drop_table('user_role')
    with op.batch_alter_table('group_teacher', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_teacher_person_id'))

    op.drop_table('group_teacher')
    with op.batch_alter_table('group_pupil', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_pupil_person_id'))

    op.drop_table('group_pupil')
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_token_user_id'))

    op.drop_table('account_token')
    op.drop_table('user_account')
    with op.batch_alter_table('school_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_group_school_year_id'))
        batch_op.drop_index(batch_op.f('ix_school_group_location_id'))

    op.drop_table('school_group')
    with op.batch_alter_table('guardianship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardianship_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_guardianship_guardian_id'))

    op.drop_table('guardianship')
    op.drop_table('school_year')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_last_name'))
        batch_op.drop_index(batch_op.f('ix_person_kind'))
        batch_op.drop_index(batch_op.f('ix_person_email'))

    op.drop_table('person')
    op.drop_table('location')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    _unguard_audit_log()
    op.drop_table('audit_event')
