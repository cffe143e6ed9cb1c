"""``flask users ...``: invitations from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from app.accounts import operations
from app.accounts.models import Role
from app.extensions import db
from app.ids import MAX_ID
from app.school.models import Person

users_cli = AppGroup("users", help="Accounts: invitations.")


@users_cli.command("invite")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=["parent"],
    show_default=True,
    help="Role to give; repeat for several.",
)
@click.option("--person-id", type=click.IntRange(1, MAX_ID), help="Link the account to this person record.")
@click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
def invite_command(email: str, roles: tuple[str, ...], person_id: int | None, locale: str) -> None:
    """Invite EMAIL: create the account, mail the one-time link and print it.

    The pupil role needs --person-id of a pupil of 16 or older (younger pupils get no account)."""
    person = None
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None:
            raise click.ClickException(f"There is no person with id {person_id}.")
    try:
        with force_locale("en"):  # messages for the administrator; the mail uses ``locale``
            invitation = operations.invite(email, {Role(r) for r in roles}, person=person, locale=locale)
    except operations.AccountError as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    state = "created" if invitation.created else "existing account"
    click.echo(f"Invitation for {invitation.user.email} ({state}); the link works once:")
    click.echo(invitation.link)


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="script", show_default=True, help="What the token is for.")
def token_command(email: str, name: str) -> None:
    """Create a personal API token for EMAIL and print it (it is shown only this once)."""
    from app.accounts.api_tokens import issue_api_token

    user = operations.find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"There is no active account for {email}.")
    token, secret = issue_api_token(user, name)
    db.session.commit()
    click.echo(f"API token {token.id} for {user.email} ({name}); send it as 'Authorization: Bearer <token>':")
    click.echo(secret)


@users_cli.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, MAX_ID))
def revoke_token_command(token_id: int) -> None:
    """Revoke API token TOKEN_ID at once."""
    from app.accounts.api_tokens import ApiToken, revoke_api_token

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"There is no API token {token_id}.")
    revoke_api_token(token)
    db.session.commit()
    click.echo(f"API token {token_id} revoked.")
