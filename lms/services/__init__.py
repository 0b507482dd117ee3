"""Domain rules as plain functions over models and the catalog. No Flask request in here.

Services flush; the web layer commits once per request (or rolls back on an error). The exceptions
own their transactions and say so: the heartbeat (``heartbeat.record``) and maintenance
(``heartbeat.prune_tabs``).
"""


class ServiceError(ValueError):
    """A rule refused the operation; ``message`` is fit to show to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
