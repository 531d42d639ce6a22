"""registries: calls for applications, records with their history and attachments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'registry_call',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(24), nullable=False),
        sa.Column('category', sa.String(32), nullable=False),
        sa.Column('title_zh', sa.String(200), nullable=False),
        sa.Column('title_en', sa.String(300), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('opens', sa.Date(), nullable=False),
        sa.Column('closes', sa.Date(), nullable=False),
        sa.Column('created_by', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        'registry_record',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(24), nullable=False),
        sa.Column('category', sa.String(32), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('name_norm', sa.String(200), nullable=False),
        sa.Column('initials', sa.String(200), nullable=False),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('uscc', sa.String(18), nullable=True),
        sa.Column('ref', sa.String(100), nullable=False),
        sa.Column('sector', sa.String(24), nullable=False),
        sa.Column('org_unit_code', sa.String(32), sa.ForeignKey('org_unit.code'), nullable=False),
        sa.Column('operator', sa.String(8), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('attrs', sa.Text(), nullable=False),
        sa.Column('call_id', sa.Integer(), sa.ForeignKey('registry_call.id'), nullable=True),
        sa.Column('merged_into', sa.Integer(), sa.ForeignKey('registry_record.id'), nullable=True),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.Column('source', sa.String(120), nullable=False),
        sa.Column('created_by', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )
    op.create_index('ix_registry_record_kind', 'registry_record', ['kind', 'status'])
    op.create_index('ix_registry_record_uscc', 'registry_record', ['uscc'])
    op.create_index('ix_registry_record_name_norm', 'registry_record', ['kind', 'name_norm'])
    op.create_table(
        'registry_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('registry_record.id'), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
    )
    op.create_index('ix_registry_event_record_id', 'registry_event', ['record_id'])
    op.create_table(
        'registry_attachment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('registry_record.id'), nullable=False),
        sa.Column('file_name', sa.String(200), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('uploaded_by', sa.String(64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_registry_attachment_record_id', 'registry_attachment', ['record_id'])


def downgrade() -> None:
    op.drop_table('registry_attachment')
    op.drop_table('registry_event')
    op.drop_table('registry_record')
    op.drop_table('registry_call')
