"""Pure rules of the officer app: risk colours, inspection schedule, urgency. No I/O here."""
