"""Pure domain rules: case workflow, deadlines, exemption and penalties. No I/O here."""
