"""Use cases of the officer app: keyword-only functions over a session, raising domain errors.

As in the platform, callers own the transaction; a service never commits.
"""
