"""Sign-in, sign-out, invitations, password reset, own account, and account administration."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from app.access import ANONYMOUS, SIGNED_IN, allow, current_account
from app.accounts import devices, operations, sessions
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    ResendInvitationForm,
    SetPasswordForm,
    SignInForm,
    SignOutForm,
    UserEditForm,
)
from app.accounts.models import Role, TokenPurpose, User, UserRole
from app.accounts.operations import AccountError
from app.accounts.tasks import ask_password_reset
from app.accounts.tokens import TokenError, resolve_token
from app.core.forms import add_error
from app.extensions import db, limiter
from app.i18n import LOCALE_SESSION_KEY
from app.ids import row_id
from app.school.models import Person

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.home")


def _account_key() -> str:
    email = operations.normalise_email(request.form.get("email", ""))
    # Hashed: the limiter's store never holds an email address.
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response: Response) -> bool:
    """A wrong email or password (401); a success or a form error is not a guess."""
    return response.status_code == 401


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(ANONYMOUS)
# Both limits count failed attempts only: 200 parents signing in from the school's Wi-Fi on
# parents' evening share one address and must all get in, while guessing is still throttled.
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
    scope="sign-in-address",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    exempt_when=devices.is_known_device,
    scope="sign-in-account",
)
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data or "", form.password.data or "")
        db.session.commit()
        if user is not None:
            sessions.start_session(user)
            response = redirect(_safe_next(request.args.get("next")))
            devices.remember_device(response, user.email)
            return response
        flash(_("The email address or password is not correct."), "danger")
        return render_template("accounts/sign_in.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@allow(SIGNED_IN)
def sign_out() -> Response:
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    operations.sign_out(current_account())
    db.session.commit()
    sessions.end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"], scope="reset-address")
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Only the address and a job: a real account's mail is made and sent by the job, so the
        # answer takes the same time for every address (``app.accounts.tasks``).
        ask_password_reset(form.email.data or "")
        db.session.commit()
        flash(
            _("If an account exists for that address, we have sent a link to choose a new password."),
            "info",
        )
        return redirect(url_for("accounts.sign_in"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot_password.html", form=form), status


def _token_problem(problem: TokenError) -> tuple[str, int]:
    return render_template("accounts/link_problem.html", message=problem.message), problem.status


def _open_link(purpose: TokenPurpose, token: str, session_key: str, endpoint: str) -> Any:
    """A link from a mail: check it, keep it in the session, and continue on a clean URL
    (the token never stays in the address bar, history or a Referer header)."""
    try:
        resolve_token(token, purpose)
    except TokenError as problem:
        return _token_problem(problem)
    session[session_key] = token
    return redirect(url_for(endpoint))


def _use_link(purpose: TokenPurpose, session_key: str, template: str, complete: Any, done: str) -> Any:
    token = session.get(session_key)
    if not token:
        return _token_problem(TokenError("invalid"))
    try:
        stored = resolve_token(token, purpose)
    except TokenError as problem:
        session.pop(session_key, None)
        return _token_problem(problem)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = complete(token, form.password.data or "")
        except TokenError as problem:  # used by a double submit, or expired meanwhile
            db.session.rollback()
            session.pop(session_key, None)
            return _token_problem(problem)
        except AccountError as problem:
            db.session.rollback()
            add_error(form.password, str(problem))
            return render_template(template, form=form, email=stored.user.email), 400
        db.session.commit()
        session.pop(session_key, None)
        sessions.start_session(user)
        flash(done, "success")
        return redirect(url_for("core.home"))
    status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, email=stored.user.email), status


@bp.route("/invitation/<token>")
@allow(ANONYMOUS)
def open_invitation(token: str) -> Any:
    return _open_link(TokenPurpose.INVITATION, token, "invitation_token", "accounts.accept_invitation")


@bp.route("/invitation", methods=["GET", "POST"])
@allow(ANONYMOUS)
def accept_invitation() -> Any:
    return _use_link(
        TokenPurpose.INVITATION,
        "invitation_token",
        "accounts/accept_invitation.html",
        operations.accept_invitation,
        _("Welcome to Beeldrecht. Your password is set and you are signed in."),
    )


@bp.route("/password/reset/<token>")
@allow(ANONYMOUS)
def open_reset(token: str) -> Any:
    return _open_link(TokenPurpose.PASSWORD_RESET, token, "reset_token", "accounts.reset_password")


@bp.route("/password/reset", methods=["GET", "POST"])
@allow(ANONYMOUS)
def reset_password() -> Any:
    return _use_link(
        TokenPurpose.PASSWORD_RESET,
        "reset_token",
        "accounts/reset_password.html",
        operations.reset_password,
        _("Your new password is saved and you are signed in."),
    )


@bp.route("/account", methods=["GET", "POST"])
@allow(SIGNED_IN)
def account() -> Any:
    user: User = current_account()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(user, form.current.data or "", form.password.data or "")
        except AccountError as problem:
            db.session.rollback()
            add_error(form.password, str(problem))
            return render_template("accounts/account.html", form=form, user=user), 400
        db.session.commit()
        sessions.start_session(user)  # the old sessions ended; keep this one
        flash(_("Your password is changed. Other devices are signed out."), "success")
        return redirect(url_for("accounts.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/account.html", form=form, user=user), status


@bp.route("/language", methods=["POST"])
@allow(ANONYMOUS)
def set_language() -> Response:
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session[LOCALE_SESSION_KEY] = form.locale.data
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db.session.commit()
    return redirect(_safe_next(form.next.data))


# --- Administration of accounts -------------------------------------------------------


def _person_or_error(form: Any) -> tuple[Person | None, bool]:
    if form.person_id.data is None:
        return None, True
    person = db.session.get(Person, form.person_id.data)
    if person is None:
        add_error(form.person_id, _("There is no person with this number."))
        return None, False
    return person, True


@bp.route("/admin/users")
@allow(Role.ADMIN)
def list_users() -> str:
    query = select(User).order_by(User.email)
    q = request.args.get("q", "").strip()
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.outerjoin(User.person).where(
            or_(
                func.lower(User.email).like(like, escape="\\"),
                func.lower(Person.first_name + " " + Person.last_name).like(like, escape="\\"),
            )
        )
    role = request.args.get("role", "")
    if role in {r.value for r in Role}:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role(role))))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("accounts/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@allow(Role.ADMIN)
def invite_user() -> Any:
    form = InviteForm()
    wanted = request.args.get("person_id", type=row_id)
    if request.method == "GET" and wanted is not None:
        person = db.session.get(Person, wanted)
        if person is not None:
            form.person_id.data = person.id
            form.email.data = person.email
            form.roles.data = [Role.PARENT.value] if person.kind == "guardian" else [Role.TEACHER.value]
    if form.validate_on_submit():
        person, ok = _person_or_error(form)
        if ok:
            try:
                invitation = operations.invite(
                    form.email.data or "",
                    {Role(r) for r in form.roles.data or []},
                    person=person,
                    invited_by=current_account(),
                    locale=form.locale.data,
                )
            except AccountError as problem:
                db.session.rollback()
                add_error(form.email, str(problem))
            else:
                db.session.commit()
                flash(_("Invitation sent to %(email)s.", email=invitation.user.email), "success")
                return redirect(url_for("accounts.edit_user", user_id=invitation.user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/invite.html", form=form), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in user.roles)
        form.active.data = user.active
        form.person_id.data = user.person_id
    if form.validate_on_submit():
        person, ok = _person_or_error(form)
        if ok:
            try:
                operations.update_account(
                    user,
                    roles={Role(r) for r in form.roles.data or []},
                    active=bool(form.active.data),
                    person=person,
                    by=current_account(),
                )
            except AccountError as problem:
                db.session.rollback()
                add_error(form.roles, str(problem))
            else:
                db.session.commit()
                flash(_("Account saved."), "success")
                return redirect(url_for("accounts.edit_user", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/edit_user.html", form=form, user=user, resend=ResendInvitationForm()), status


@bp.route("/admin/users/<int:user_id>/invitation", methods=["POST"])
@allow(Role.ADMIN)
def resend_invitation(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    if not ResendInvitationForm().validate_on_submit():
        abort(400)
    try:
        operations.invite(user.email, set(user.roles) or {Role.PARENT}, invited_by=current_account())
    except AccountError as problem:
        db.session.rollback()
        flash(str(problem), "danger")
    else:
        db.session.commit()
        flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))
