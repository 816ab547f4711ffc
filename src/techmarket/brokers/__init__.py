"""Mandates and brokers: a client organisation authorises an agency, whose brokers then act
for the client within the mandate; each concluded deal records their contribution."""
