"""The school blueprint; its routes live in ``views``, ``admin_views`` and ``import_views``."""

from flask import Blueprint

bp = Blueprint("school", __name__)
