"""A flask-smorest ``Blueprint`` whose ``form`` location is the whole multipart body: its fields
and its files in one schema, so an upload is validated, and documented as
``multipart/form-data`` with a binary file field, in one place."""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict


class _FormAndFiles(FlaskParser):
    def load_form(self, req: flask.Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class MultipartBlueprint(Blueprint):
    ARGUMENTS_PARSER = _FormAndFiles()
