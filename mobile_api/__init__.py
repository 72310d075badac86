"""The officers' phone app API, on the platform's domain layer."""
