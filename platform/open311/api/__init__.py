"""Open311 HTTP: the public GeoReport v2 routes (``routes``), their JSON/XML serialisers
(``render``), form parsing (``params``) and the staff routes for clients and reports (``staff``)."""
