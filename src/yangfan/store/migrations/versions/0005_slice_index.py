"""index of data values by indicator and period: the slices an incremental analytics build reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_data_value_slice', 'data_value', ['indicator_code', 'period_code'])


def downgrade() -> None:
    op.drop_index('ix_data_value_slice', table_name='data_value')
