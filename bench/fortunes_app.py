"""The baseline of ``bench/pages.py``: TechEmpower's "fortunes" test in Flask-SQLAlchemy and Jinja.

Per request: read every row of the ``fortune`` table (12), add one fortune in memory, sort by the
message, and render them as an HTML table with Jinja's autoescaping. It runs in the same gunicorn
settings as Beeldrecht (``gunicorn -c gunicorn.conf.py 'bench.fortunes_app:create()'``) against the
same PostgreSQL database, so the ratio of the two is a fair measure of what Beeldrecht's pages cost
beyond a minimal database-backed Flask page.
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Fortune(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


PAGE = """<!DOCTYPE html>
<html><head><title>Fortunes</title></head><body><table>
<tr><th>id</th><th>message</th></tr>
{% for fortune in fortunes %}<tr><td>{{ fortune.id }}</td><td>{{ fortune.message }}</td></tr>
{% endfor %}</table></body></html>"""

MESSAGES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]


def create() -> Flask:
    app = Flask(__name__)
    # A template loaded and compiled once, as Beeldrecht's are (render_template_string would compile
    # the page on every request and make the baseline slower than a real Flask page: flattering).
    app.jinja_loader = DictLoader({"fortunes.html": PAGE})
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BEELDRECHT_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as Beeldrecht's
    db.init_app(app)

    @app.route("/fortunes")
    def fortunes() -> str:
        rows = [(f.id, f.message) for f in db.session.scalars(select(Fortune))]
        rows.append((0, "Additional fortune added at request time."))
        rows.sort(key=lambda row: row[1])
        return render_template("fortunes.html", fortunes=[{"id": i, "message": m} for i, m in rows])

    return app


def fill(url: str) -> None:
    """Create the table with its 12 rows (the benchmark calls this once)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    with app.app_context():
        Fortune.__table__.drop(db.engine, checkfirst=True)
        Fortune.__table__.create(db.engine)
        db.session.add_all(Fortune(id=n + 1, message=m) for n, m in enumerate(MESSAGES))
        db.session.commit()
