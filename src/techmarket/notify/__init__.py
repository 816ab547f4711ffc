"""Telling people what happened: notifications drawn from the ledger, each told once."""
