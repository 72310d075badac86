"""Use cases over the database: keyword-only functions that raise domain errors.

Callers own the transaction (``with db.session() as session: ...``); a service never commits,
so a transition, its audit row and its side records are written together or not at all.
"""
