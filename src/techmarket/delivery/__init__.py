"""Sending notifications out: e-mail over SMTP and signed webhooks, from an outbox."""
