"""/api/v1 endpoints of consent: the form's purposes, a person's effective consent with its
explanation, and deciding (the same ``decide`` as the parent's pages)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import SIGNED_IN, allow, current_account, family_subjects, person_or_404
from app.accounts.models import Role
from app.consent.models import Decision
from app.consent.operations import ConsentError, decide, decider_of
from app.consent.purposes import purposes_of
from app.consent.queries import active_form, consent_for, now
from app.consent.vocabulary import WITHDRAWAL_MEANS, Action, Means, MediaType
from app.consent.withdrawals import mail_confirmation, take_withdrawal
from app.extensions import db
from app.ids import id_field
from app.school.models import Person
from app.urls import API_PREFIX

blp = Blueprint("consent_api", __name__, url_prefix=API_PREFIX, description="Consent: purposes, states, decisions.")


class PurposeSchema(Schema):
    key = fields.String(required=True)
    public = fields.Boolean(required=True)
    label_nl = fields.String(required=True)
    label_en = fields.String(required=True)
    explanation_nl = fields.String()
    explanation_en = fields.String()
    channels = fields.List(fields.String(), metadata={"description": "the channels that serve it, as the form says"})


class PurposesSchema(Schema):
    form = fields.String(metadata={"description": "form id and version in force"}, allow_none=True)
    media_types = fields.List(fields.String())
    purposes = fields.List(fields.Nested(PurposeSchema))


class ExplanationSchema(Schema):
    rule = fields.String()
    decided_by_guardians = fields.Boolean()
    conflict = fields.Boolean()
    decision_ids = fields.List(fields.Integer())


class ConsentSchema(Schema):
    media_type = fields.String()
    purpose = fields.String()
    state = fields.String(metadata={"enum": ["granted", "refused", "none"]})
    expires_at = fields.Date(allow_none=True)
    explanation = fields.Nested(ExplanationSchema)


class DecisionInSchema(Schema):
    media_type = fields.String(required=True, validate=validate.OneOf([m.value for m in MediaType]))
    purpose = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "a purpose key of the form in force (GET /purposes)"},
    )
    decision = fields.String(
        required=True,
        validate=validate.OneOf([a.value for a in Action]),
        metadata={
            "description": "grant is yes; refuse and withdraw are no, recorded as a withdrawal when it takes "
            "back your own grant and as a refusal otherwise (the stored kind is in the answer)"
        },
    )


class DecisionOutSchema(Schema):
    id = fields.Integer()
    media_type = fields.Function(lambda d: d.media_type.value)
    purpose = fields.String()
    decision = fields.Function(lambda d: d.action.value)
    decided_at = fields.DateTime()
    form_id = fields.Integer()


class WithdrawalChoiceSchema(Schema):
    media_type = fields.String(required=True, validate=validate.OneOf([m.value for m in MediaType]))
    purpose = fields.String(required=True)
    decision = fields.String(
        load_default="withdraw",
        validate=validate.OneOf([a.value for a in Action]),
        metadata={"description": "only a no (withdraw or refuse); a grant is refused with 422 grant_not_allowed"},
    )


class WithdrawalInSchema(Schema):
    withdrawn_by = id_field(required=True, metadata={"description": "person id of who withdrew"})
    means = fields.String(required=True, validate=validate.OneOf([m.value for m in WITHDRAWAL_MEANS]))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    choices = fields.List(
        fields.Nested(WithdrawalChoiceSchema),
        load_default=None,
        metadata={"description": "what is withdrawn; left out: everything granted now"},
    )


@blp.route("/people/<int:person_id>/withdrawals", methods=["POST"])
@blp.arguments(WithdrawalInSchema)
@blp.response(201, DecisionOutSchema(many=True))
@allow(Role.ADMIN)
def post_withdrawal(body: dict[str, Any], person_id: int) -> list[Decision]:
    """An administrator records a withdrawal made by phone, at the desk or by letter."""
    subject = db.session.get(Person, person_id)
    withdrawer = db.session.get(Person, body["withdrawn_by"])
    if subject is None or withdrawer is None:
        abort(404)
    answers = (
        None
        if body["choices"] is None
        else {(c["media_type"], c["purpose"]): c["decision"] == Action.GRANT.value for c in body["choices"]}
    )
    taken = take_withdrawal(
        subject, answers, withdrawn_by=withdrawer, means=body["means"], recorded_by=current_account(), note=body["note"]
    )
    mail_confirmation(taken)
    db.session.commit()
    return taken.decisions


@blp.route("/purposes")
@blp.response(200, PurposesSchema)
@allow(SIGNED_IN)
def list_purposes() -> dict[str, Any]:
    """The purposes and media types of the consent form in force."""
    form = active_form(now().day)
    if form is None:
        return {"form": None, "media_types": [], "purposes": []}
    return {
        "form": f"{form.form_key} v{form.version}",
        "media_types": [m.value for m in form.media_types],
        "purposes": [
            {
                "key": p.key,
                "public": p.public,
                "label_nl": p.label("nl"),
                "label_en": p.label("en"),
                "explanation_nl": p.explanation("nl"),
                "explanation_en": p.explanation("en"),
                "channels": list(p.channels),
            }
            for p in purposes_of(form)
        ],
    }


@blp.route("/people/<int:person_id>/consents", methods=["GET"])
@blp.response(200, ConsentSchema(many=True))
@allow(SIGNED_IN)
def get_consents(person_id: int) -> list[dict[str, Any]]:
    """Effective consent for every media type x purpose of the form in force, with the explanation."""
    person = person_or_404(current_account(), person_id)
    form = active_form(now().day)
    if form is None:
        return []
    keys = [(person.id, m, p) for m in form.media_types for p in form.purposes]
    answers = consent_for(keys, now())
    return [
        {
            "media_type": key[1].value,
            "purpose": key[2],
            "state": answers[key].state.value,
            "expires_at": answers[key].expires_on,
            "explanation": {
                "rule": answers[key].rule.value,
                "decided_by_guardians": answers[key].decided_by_guardians,
                "conflict": answers[key].conflict,
                "decision_ids": [e.id for e in answers[key].relied_on],
            },
        }
        for key in keys
    ]


@blp.route("/people/<int:person_id>/consents", methods=["POST"])
@blp.arguments(DecisionInSchema)
@blp.response(201, DecisionOutSchema)
@allow(SIGNED_IN)
def post_consent(body: dict[str, Any], person_id: int) -> Decision:
    """Grant, refuse or withdraw, as the token's own person (a guardian, or the subject)."""
    user = current_account()
    person_or_404(user, person_id)
    subject = db.session.scalar(family_subjects(user).where(Person.id == person_id))
    if subject is None:
        raise ConsentError("not_entitled", _("You may not decide about this person."))
    decision = decide(
        subject,
        body["media_type"],
        body["purpose"],
        body["decision"],
        decided_by=decider_of(user),
        recorded_by=user,
        means=Means.API,
    )
    db.session.commit()
    return decision
