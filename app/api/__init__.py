"""The JSON API under /api/v1: thin resources over the modules' operations, described by an
OpenAPI document that flask-smorest generates from the code."""
