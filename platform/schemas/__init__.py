"""Pydantic schemas shared by the API and the services: ``Create``, ``Update``, ``Public``."""
