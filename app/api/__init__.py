"""The /api/v1 plumbing: the flask-smorest ``Api`` (``app.api.setup``), token authentication
(``app.api.auth``) and the error body (``app.api.errors``). Each module's endpoints and schemas
live in its own ``api.py`` and ``schemas.py``."""
