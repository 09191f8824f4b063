"""Payments: the gateway port, card checks, and the simulated gateway adapter."""
