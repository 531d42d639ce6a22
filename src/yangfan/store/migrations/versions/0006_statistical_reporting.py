"""statistical reporting: returns of forms (submission), their cells and history; forced password change;
the cell a value stood in

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 21:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user') as t:
        t.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('data_value') as t:
        t.add_column(sa.Column('source_cell', sa.String(80), nullable=True))
    op.create_table(
        'submission',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('form_code', sa.String(32), nullable=False),
        sa.Column('org_unit_code', sa.String(32), sa.ForeignKey('org_unit.code'), nullable=False),
        sa.Column('reporter', sa.String(32), nullable=False),
        sa.Column('period_code', sa.String(10), nullable=False),
        sa.Column('state', sa.String(12), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_by', sa.String(64), nullable=False),
        sa.Column('batch_id', sa.Integer(), sa.ForeignKey('import_batch.id'), nullable=True),
        sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint('form_code', 'org_unit_code', 'reporter', 'period_code', name='uq_submission'),
    )
    op.create_index('ix_submission_period', 'submission', ['form_code', 'period_code'])
    op.create_table(
        'submission_cell',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('submission_id', sa.Integer(), sa.ForeignKey('submission.id'), nullable=False),
        sa.Column('indicator_code', sa.String(64), nullable=False),
        sa.Column('disaggregation', sa.String(100), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.Column('unlocked', sa.Boolean(), nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.UniqueConstraint('submission_id', 'indicator_code', 'disaggregation', name='uq_submission_cell'),
    )
    op.create_index('ix_submission_cell_submission_id', 'submission_cell', ['submission_id'])
    op.create_table(
        'submission_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('submission_id', sa.Integer(), sa.ForeignKey('submission.id'), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('state_before', sa.String(12), nullable=False),
        sa.Column('state_after', sa.String(12), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
    )
    op.create_index('ix_submission_event_submission_id', 'submission_event', ['submission_id'])


def downgrade() -> None:
    op.drop_table('submission_event')
    op.drop_table('submission_cell')
    op.drop_table('submission')
    with op.batch_alter_table('data_value') as t:
        t.drop_column('source_cell')
    with op.batch_alter_table('app_user') as t:
        t.drop_column('must_change_password')
