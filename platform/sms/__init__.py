"""SMS to merchants: Chinese templates and providers (outbox, generic HTTP gateway)."""
