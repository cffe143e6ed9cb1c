"""The printed paper consent forms as one A4 PDF (ReportLab), a letter per person, each starting on
a new page: the school, the person and their group, the form's title and text, a table of every
purpose times media type with tick boxes, lines for the signer's name, the date and the signature,
and the person's code with its QR code (segno), drawn as vector squares.

Each letter's fixed words are in the letter's own language. The file's metadata (title, author)
names the form, never a person.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from app.consent.paper_letters import Letter

QR_SIDE = 32 * mm
BOX_SIDE = 3.2 * mm  # an empty square to tick, drawn as a vector (no font has to carry a box glyph)


def render_letters(letters: list[Letter], *, title: str) -> bytes:
    """One PDF with every letter; ``title`` becomes the document's title (no names in it)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Beeldrecht",
        subject=title,
        creator="Beeldrecht",
    )
    story: list[Flowable] = []
    for number, letter in enumerate(letters):
        if number:
            story.append(PageBreak())
        with force_locale(letter.locale):
            story.extend(_letter(letter))
    document.build(story)
    return buffer.getvalue()


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "title": ParagraphStyle("title", parent=sheet["Heading1"], fontName="Helvetica-Bold", fontSize=14, leading=18),
        "head": ParagraphStyle("head", parent=body, fontName="Helvetica-Bold"),
        "code": ParagraphStyle("code", parent=body, fontName="Courier-Bold", fontSize=16, leading=20),
    }


def _text(value: str) -> str:
    """Plain text as paragraph markup (ReportLab reads ``<``, ``>`` and ``&`` as markup)."""
    return escape(value)


def _letter(letter: Letter) -> list[Flowable]:
    style = _styles()
    yes, no = _("yes"), _("no")
    greeting = (
        _("To %(name)s", name=letter.name)
        if letter.decides_alone
        else _("To the parents or guardians of %(name)s", name=letter.name)
    )
    story: list[Flowable] = [
        Paragraph(_text(letter.school), style["head"]),
        Paragraph(_text(greeting), style["body"]),
        Paragraph(
            _text(_("Name: %(name)s", name=letter.name))
            + "<br/>"
            + _text(_("Group: %(group)s", group=letter.group or "-")),
            style["body"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(_text(letter.title), style["title"]),
        Paragraph(_text(_("Consent form, version %(n)d", n=letter.version)), style["small"]),
        Spacer(1, 2 * mm),
    ]
    for paragraph in letter.text.strip().split("\n\n"):
        story.append(Paragraph(_text(" ".join(paragraph.split())), style["body"]))
    story += [
        Spacer(1, 2 * mm),
        Paragraph(
            _text(_("Tick yes or no on every line. A line without a tick counts as no.")),
            style["head"],
        ),
        Spacer(1, 2 * mm),
        _questions(letter, style, yes, no),
        Spacer(1, 5 * mm),
        KeepTogether([_signature(letter, style), Spacer(1, 4 * mm), _code_block(letter, style)]),
    ]
    return story


def _tick_box() -> Drawing:
    box = Drawing(BOX_SIDE + 1, BOX_SIDE + 1)
    square = Rect(0.5, 0.5, BOX_SIDE, BOX_SIDE)
    square.fillColor, square.strokeColor, square.strokeWidth = None, colors.black, 0.8
    box.add(square)
    return box


def _ticks(yes: str, no: str, style: dict[str, ParagraphStyle]) -> Table:
    """ "[ ] ja  [ ] nee": two empty squares with their words, in one cell."""
    cell = Table(
        [[_tick_box(), Paragraph(_text(yes), style["body"]), _tick_box(), Paragraph(_text(no), style["body"])]],
        colWidths=[BOX_SIDE + 1.5 * mm, 7.5 * mm, BOX_SIDE + 1.5 * mm, 8 * mm],
    )
    cell.setStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]
    )
    return cell


def _questions(letter: Letter, style: dict[str, ParagraphStyle], yes: str, no: str) -> Table:
    header: list[Flowable] = [Paragraph(_text(_("Use")), style["head"])]
    header += [Paragraph(_text(m), style["head"]) for m in letter.media]
    rows: list[list[Flowable]] = [header]
    for question in letter.questions:
        described = f"<b>{_text(question.label)}</b>"
        if question.explanation:
            described += f"<br/><font size='8'>{_text(question.explanation)}</font>"
        row: list[Flowable] = [Paragraph(described, style["body"])]
        rows.append(row + [_ticks(yes, no, style) for _m in letter.media])
    media_width = 27 * mm
    table = Table(
        rows, colWidths=[A4[0] - 36 * mm - media_width * len(letter.media)] + [media_width] * len(letter.media)
    )
    table.setStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    table.repeatRows = 1
    return table


def _signature(letter: Letter, style: dict[str, ParagraphStyle]) -> Table:
    signer = _("Your name") if letter.decides_alone else _("Name of the parent or guardian")
    line = "_" * 44
    rows = [
        [Paragraph(_text(signer), style["body"]), line],
        [Paragraph(_text(_("Date")), style["body"]), line],
        [Paragraph(_text(_("Signature")), style["body"]), line],
    ]
    table = Table(rows, colWidths=[60 * mm, 100 * mm], rowHeights=[10 * mm] * 3)
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    return table


def _code_block(letter: Letter, style: dict[str, ParagraphStyle]) -> Table:
    words = [
        Paragraph(_text(_("Code of this form")), style["small"]),
        Paragraph(_text(letter.code), style["code"]),
        Paragraph(
            _text(_("Hand the signed form in at the school. The school enters it with this code.")),
            style["small"],
        ),
    ]
    table = Table([[words, _qr(letter.url)]], colWidths=[A4[0] - 36 * mm - QR_SIDE - 4 * mm, QR_SIDE + 4 * mm])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOX", (0, 0), (-1, -1), 0.4, colors.grey)])
    return table


def _qr(url: str) -> Drawing:
    """The QR code of ``url`` as squares (crisp at any printer's resolution)."""
    qr = segno.make(url, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=2))
    cell = QR_SIDE / len(matrix)
    drawing = Drawing(QR_SIDE, QR_SIDE)
    for row, values in enumerate(matrix):
        for column, dark in enumerate(values):
            if dark:
                square = Rect(column * cell, QR_SIDE - (row + 1) * cell, cell, cell)
                square.fillColor, square.strokeColor, square.strokeWidth = colors.black, None, 0
                drawing.add(square)
    return drawing
