"""Citizen reports and the 12345 hotline through Open311 GeoReport v2 (``/open311/v2``).

``catalogue`` (the service list), ``geo`` (distances, the city's bounds), ``status`` (what a
reporter sees of the case), ``photos`` (one check per uploaded photo), ``clients`` (trusted
clients' API keys), ``ratelimit`` (anonymous posts per client IP), ``intake`` (a report becomes or
joins a case), ``reads`` (the public GET queries), ``feedback`` (the closure SMS), ``api/`` (the
routes and the JSON/XML serialisers). See docs/OPEN311.md.
"""
