"""Subscriptions and push (需求推送): publications told to those they match."""
