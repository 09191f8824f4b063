"""Shared UI components."""
