"""The bundled detector's training chain: time-boxed, resumable stages with recorded provenance."""
