"""techmarket: an online technology market and auction platform with a tamper-evident ledger."""
