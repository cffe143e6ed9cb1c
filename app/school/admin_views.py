"""Administrator pages for locations, school years, groups, persons and guardianship.

Views parse the form, call one operation from ``app.school.operations``, commit and redirect;
a ``SchoolError`` becomes a form error with status 400 and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.access import allow, current_account
from app.accounts.models import Role, User
from app.consent.pupils import decides_alone_today
from app.core.forms import Choice, SelectChoice, add_error, required
from app.extensions import db
from app.ids import row_id
from app.privacy.erasure import Erasure, ErasureError, MediaChoice, erase, media_showing
from app.school import operations
from app.school.blueprint import bp
from app.school.forms import (
    AuthorityForm,
    EraseForm,
    GroupForm,
    GuardianForm,
    LocationForm,
    PersonForm,
    RemoveForm,
    SchoolYearForm,
)
from app.school.leavers import is_leaver, leaver_ids, not_a_leaver, pupils_at_school_per_group
from app.school.models import Group, Guardianship, Location, Person, PersonKind, SchoolYear, group_pupil
from app.school.operations import SchoolError
from app.timestamps import school_today


def _like(term: str) -> str:
    """A LIKE pattern that treats %, _ and \\ in the search term literally."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _handle(form: Any, template: str, save: Callable[[], Any], done: Callable[[Any], str], **context: Any) -> Any:
    """Validate, save, commit and redirect; or render the form again with its errors (400)."""
    if form.validate_on_submit():
        try:
            saved = save()
        except SchoolError as problem:
            db.session.rollback()
            field = getattr(form, problem.field or "", None)
            (field.errors if field is not None else form.form_errors).append(str(problem))
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(done(saved))
    status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def _year_choices() -> list[Choice]:
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc()))
    return [SelectChoice(y.id, y.name) for y in years]


def _location_choices() -> list[Choice]:
    return [SelectChoice(loc.id, loc.name) for loc in db.session.scalars(select(Location).order_by(Location.name))]


# --- Locations ---------------------------------------------------------------------------------


@bp.route("/admin/locations")
@allow(Role.ADMIN)
def admin_locations() -> str:
    locations = db.session.scalars(select(Location).order_by(Location.name)).all()
    return render_template("school/admin/locations.html", locations=locations)


@bp.route("/admin/locations/new", methods=["GET", "POST"])
@bp.route("/admin/locations/<int:location_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def admin_edit_location(location_id: int | None = None) -> Any:
    location = db.get_or_404(Location, location_id) if location_id else None
    form = LocationForm(obj=location)
    return _handle(
        form,
        "school/admin/location_form.html",
        lambda: operations.save_location(location, name=required(form.name), address=form.address.data),
        lambda saved: url_for("school.admin_locations"),
        location=location,
    )


# --- School years ------------------------------------------------------------------------------


@bp.route("/admin/years")
@allow(Role.ADMIN)
def admin_years() -> str:
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    return render_template("school/admin/years.html", years=years)


@bp.route("/admin/years/new", methods=["GET", "POST"])
@bp.route("/admin/years/<int:year_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def admin_edit_year(year_id: int | None = None) -> Any:
    year = db.get_or_404(SchoolYear, year_id) if year_id else None
    form = SchoolYearForm(obj=year)
    return _handle(
        form,
        "school/admin/year_form.html",
        lambda: operations.save_year(
            year, name=required(form.name), starts_on=required(form.starts_on), ends_on=required(form.ends_on)
        ),
        lambda saved: url_for("school.admin_years"),
        year=year,
    )


# --- Groups ------------------------------------------------------------------------------------


@bp.route("/admin/groups")
@allow(Role.ADMIN)
def admin_groups() -> str:
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    chosen = request.args.get("year", type=row_id) or (years[0].id if years else None)
    counts = pupils_at_school_per_group(school_today())
    rows = db.session.execute(
        select(Group, func.coalesce(counts.c.pupils, 0))
        .outerjoin(counts, counts.c.group_id == Group.id)
        .join(Group.location)
        .where(Group.school_year_id == chosen)
        .order_by(Location.name, Group.name)
    ).all()
    return render_template("school/admin/groups.html", rows=rows, years=years, chosen=chosen)


@bp.route("/admin/groups/new", methods=["GET", "POST"])
@bp.route("/admin/groups/<int:group_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def admin_edit_group(group_id: int | None = None) -> Any:
    group = db.get_or_404(Group, group_id) if group_id else None
    form = GroupForm(obj=group)
    form.location_id.choices = _location_choices()
    form.school_year_id.choices = _year_choices()
    staff = db.session.scalars(
        select(Person).where(Person.kind == PersonKind.STAFF).order_by(Person.last_name, Person.first_name)
    ).all()
    form.teacher_ids.choices = [SelectChoice(p.id, p.full_name) for p in staff]
    if request.method == "GET" and group is not None:
        form.teacher_ids.data = [t.id for t in group.teachers]
    if not form.location_id.choices or not form.school_year_id.choices:
        flash(_("Create a location and a school year first."), "warning")

    def save() -> Group:
        location = db.session.get(Location, form.location_id.data)
        year = db.session.get(SchoolYear, form.school_year_id.data)
        if location is None or year is None:  # pragma: no cover - the choices validate this
            abort(400)
        teachers = [p for p in staff if p.id in set(form.teacher_ids.data or [])]
        return operations.save_group(
            group, name=required(form.name), location=location, school_year=year, teachers=teachers
        )

    return _handle(
        form,
        "school/admin/group_form.html",
        save,
        lambda saved: url_for("school.admin_groups", year=saved.school_year_id),
        group=group,
    )


# --- Persons -----------------------------------------------------------------------------------


@bp.route("/admin/persons")
@allow(Role.ADMIN)
def admin_persons() -> str:
    query = select(Person).order_by(Person.last_name, Person.first_name, Person.id)
    q = request.args.get("q", "").strip()
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                func.lower(Person.first_name + " " + Person.last_name).like(pattern, escape="\\"),
                func.lower(Person.external_id).like(pattern, escape="\\"),
                func.lower(Person.email).like(pattern, escape="\\"),
            )
        )
    kind = request.args.get("kind", "")
    if kind in {k.value for k in PersonKind}:
        query = query.where(Person.kind == PersonKind(kind))
    group_id = request.args.get("group", type=row_id)
    if group_id:
        query = query.where(Person.id.in_(select(group_pupil.c.person_id).where(group_pupil.c.group_id == group_id)))
    # Pupils who left the school are archived: listed only under the filter "left the school".
    status = "left" if request.args.get("status") == "left" else ""
    today = school_today()
    query = query.where(is_leaver(today) if status == "left" else not_a_leaver(today))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    groups = db.session.scalars(
        select(Group).join(Group.school_year).order_by(SchoolYear.starts_on.desc(), Group.name)
    ).all()
    return render_template(
        "school/admin/persons.html",
        page=page,
        q=q,
        kind=kind,
        group_id=group_id,
        status=status,
        groups=groups,
        kinds=list(PersonKind),
    )


def _group_choices() -> list[Choice]:
    groups = db.session.scalars(
        select(Group).join(Group.school_year).join(Group.location).order_by(SchoolYear.starts_on.desc(), Group.name)
    )
    return [SelectChoice("", "—")] + [
        SelectChoice(g.id, f"{g.name} · {g.location.name} · {g.school_year.name}") for g in groups
    ]


@bp.route("/admin/persons/new", methods=["GET", "POST"])
@bp.route("/admin/persons/<int:person_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def admin_edit_person(person_id: int | None = None) -> Any:
    person = db.get_or_404(Person, person_id) if person_id else None
    form = PersonForm(obj=person)
    form.group_id.choices = _group_choices()
    if request.method == "GET" and person is not None:
        form.kind.data = person.kind.value
        current = sorted(person.pupil_groups, key=lambda g: g.school_year.starts_on)
        form.group_id.data = current[-1].id if current else None

    def save() -> Person:
        group = db.session.get(Group, form.group_id.data) if form.group_id.data else None
        return operations.save_person(
            person,
            group=group,
            kind=PersonKind(form.kind.data),
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            date_of_birth=form.date_of_birth.data,
            external_id=form.external_id.data,
            email=form.email.data,
        )

    context: dict[str, Any] = {"person": person}
    if person is not None:
        context.update(
            guardian_form=GuardianForm(formdata=None),
            erase_form=EraseForm(formdata=None),
            links=_links_of(person),
            account=db.session.scalar(select(User).where(User.person_id == person.id)),
            decides_alone=decides_alone_today(person),
            left=bool(leaver_ids({person.id}, school_today())),
            shown_in=media_showing(person.id),
        )
    return _handle(
        form,
        "school/admin/person_form.html",
        save,
        lambda saved: url_for("school.admin_edit_person", person_id=saved.id),
        **context,
    )


def _person_page_with_errors(
    person: Person, *, guardian_form: GuardianForm | None = None, erase_form: EraseForm | None = None
) -> Any:
    """The person page again, with the errors of the side form that was posted (400)."""
    person_form = PersonForm(formdata=None, obj=person)
    person_form.kind.data = person.kind.value
    person_form.group_id.choices = _group_choices()
    return render_template(
        "school/admin/person_form.html",
        form=person_form,
        person=person,
        guardian_form=guardian_form or GuardianForm(formdata=None),
        erase_form=erase_form or EraseForm(formdata=None),
        links=_links_of(person),
        account=db.session.scalar(select(User).where(User.person_id == person.id)),
        shown_in=media_showing(person.id),
    ), 400


def _links_of(person: Person) -> list[tuple[Guardianship, AuthorityForm]]:
    links = db.session.scalars(
        select(Guardianship)
        .where(or_(Guardianship.pupil_id == person.id, Guardianship.guardian_id == person.id))
        .order_by(Guardianship.id)
    ).all()
    return [(link, AuthorityForm(formdata=None, obj=link)) for link in links]


@bp.route("/admin/persons/<int:person_id>/guardians", methods=["POST"])
@allow(Role.ADMIN)
def admin_add_guardian(person_id: int) -> Any:
    pupil = db.get_or_404(Person, person_id)
    form = GuardianForm()
    if form.validate_on_submit():
        try:
            operations.add_guardian(
                pupil,
                email=required(form.email),
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                has_parental_authority=bool(form.has_parental_authority.data),
            )
        except SchoolError as problem:
            db.session.rollback()
            add_error(getattr(form, problem.field or "email"), str(problem))
        else:
            db.session.commit()
            flash(_("Guardian added."), "success")
            return redirect(url_for("school.admin_edit_person", person_id=pupil.id))
    return _person_page_with_errors(pupil, guardian_form=form)


@bp.route("/admin/guardianships/<int:guardianship_id>", methods=["POST"])
@allow(Role.ADMIN)
def admin_update_guardian(guardianship_id: int) -> Any:
    link = db.get_or_404(Guardianship, guardianship_id)
    form = AuthorityForm()
    if not form.validate_on_submit():
        abort(400)
    operations.set_parental_authority(link, bool(form.has_parental_authority.data))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("school.admin_edit_person", person_id=link.pupil_id))


@bp.route("/admin/guardianships/<int:guardianship_id>/remove", methods=["POST"])
@allow(Role.ADMIN)
def admin_remove_guardian(guardianship_id: int) -> Any:
    link = db.get_or_404(Guardianship, guardianship_id)
    if not RemoveForm().validate_on_submit():
        abort(400)
    pupil_id = link.pupil_id
    operations.remove_guardian(link)
    db.session.commit()
    flash(_("Guardian removed from this pupil."), "success")
    return redirect(url_for("school.admin_edit_person", person_id=pupil_id))


@bp.route("/admin/persons/<int:person_id>/erase", methods=["POST"])
@allow(Role.ADMIN)
def admin_erase_person(person_id: int) -> Any:
    """Erasure on request (GDPR art. 17), after an explicit confirmation."""
    person = db.get_or_404(Person, person_id)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            done = erase(person, by=current_account(), reason=required(form.reason), media=MediaChoice(form.media.data))
        except ErasureError as problem:
            db.session.rollback()
            add_error(form.reason, problem.message)
        else:
            db.session.commit()
            flash(_("The person is erased. Only a tombstone with the reason remains."), "success")
            if done.items_deleted or done.items_kept or done.takedowns_opened:
                flash(_erasure_media_summary(done), "info")
            return redirect(url_for("school.admin_persons"))
    return _person_page_with_errors(person, erase_form=form)


def _erasure_media_summary(done: Erasure) -> str:
    parts = [
        _("Items deleted: %(n)d.", n=done.items_deleted),
        _("Items kept, held back for every use with the person pixelated: %(n)d.", n=done.items_kept),
    ]
    if done.items_not_blurred:
        parts.append(
            _(
                "In %(n)d of them (films, sound, or a photo without a box) the person could not be pixelated "
                "everywhere: they are only held back.",
                n=done.items_not_blurred,
            )
        )
    if done.takedowns_opened:
        parts.append(_("Removal tasks opened for publications: %(n)d.", n=done.takedowns_opened))
    return " ".join(parts)
