"""Payments received under registered technology contracts (实际到账)."""
