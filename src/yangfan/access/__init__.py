"""Accounts, roles scoped to org units, API tokens: who may read and write what."""
