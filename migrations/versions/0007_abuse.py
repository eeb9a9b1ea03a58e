"""abuse defences: the network a donation came from, velocity alerts and the block list

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_network', sa.String(length=64), nullable=True))

    op.create_table('abuse_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_minutes', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_abuse_alert')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_abuse_alert_dedupe_key'))
    )
    with op.batch_alter_table('abuse_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_abuse_alert_created_at'), ['created_at'], unique=False)

    op.create_table('blocked_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(network IS NULL) <> (email IS NULL)', name=op.f('ck_blocked_source_network_or_email')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_source'))
    )
    with op.batch_alter_table('blocked_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocked_source_email'), ['email'], unique=False)
        batch_op.create_index('ix_blocked_source_expires_at', ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('blocked_source', schema=None) as batch_op:
        batch_op.drop_index('ix_blocked_source_expires_at')
        batch_op.drop_index(batch_op.f('ix_blocked_source_email'))
    op.drop_table('blocked_source')
    with op.batch_alter_table('abuse_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_abuse_alert_created_at'))
    op.drop_table('abuse_alert')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('client_network')
