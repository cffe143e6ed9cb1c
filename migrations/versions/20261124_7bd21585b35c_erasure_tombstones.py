"""Tombstones of erased persons (GDPR art. 17).

Revision ID: 7bd21585b35c
Revises: 45f08f46009b
Create Date: 2026-11-24 16:14:19.594740

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7bd21585b35c'
down_revision = '45f08f46009b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasure_tombstone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.Column('erased_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_tombstone'))
    )
    with op.batch_alter_table('erasure_tombstone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_tombstone_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('erasure_tombstone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_tombstone_person_id'))

    op.drop_table('erasure_tombstone')
