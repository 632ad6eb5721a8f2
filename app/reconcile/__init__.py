"""Reconciliation with the PBXs' own call history: calls whose webhooks never arrived."""
