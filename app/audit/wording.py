"""The audit log in words: every recorded action as a phrase, every row as a short sentence.

The stored rows keep their codes and ids (the hash chain covers them); this module only reads
them. It knows no other module's models: the names in a sentence come from a ``Namer`` that the
view passes in, so nothing here can show more than the view chose to look up, and secrets
(tokens, password hashes) cannot appear because no sentence reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.audit.models import AuditEvent

# One phrase per action that ``app.audit.log.record`` is called with anywhere in ``app/``
# (``tests/audit/test_audit_words.py`` fails when one is missing).
ACTIONS: Mapping[str, Any] = {
    "access.refused": _l("Access refused"),
    "account.invited": _l("Account invited"),
    "account.invitation_accepted": _l("Invitation accepted"),
    "account.password_changed": _l("Password changed"),
    "account.password_reset": _l("Password reset"),
    "account.password_reset_requested": _l("Password reset requested"),
    "account.updated": _l("Account changed"),
    "api.token_issued": _l("API token issued"),
    "api.token_revoked": _l("API token revoked"),
    "auth.sign_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Sign-in failed"),
    "auth.sign_out": _l("Signed out"),
    "backup.created": _l("Backup made"),
    "backup.restored": _l("Restored from a backup"),
    "consent.campaign_reminded": _l("Campaign reminders sent"),
    "consent.campaign_resent": _l("Campaign sent again"),
    "consent.campaign_started": _l("Campaign started"),
    "consent.decided": _l("Consent decision"),
    "consent.form_published": _l("Consent form published"),
    "consent.paper_form_entered": _l("Paper form entered"),
    "consent.paper_forms_printed": _l("Paper forms printed"),
    "consent.paper_scan_viewed": _l("Paper form scan viewed"),
    "consent.withdrawal_taken": _l("Withdrawal taken down"),
    "data.exported": _l("Family data downloaded"),
    "demo.loaded": _l("Demo data loaded"),
    "media.album_created": _l("Album created"),
    "media.deleted": _l("Item deleted"),
    "media.erasure_quarantined": _l("Item quarantined after erasure"),
    "media.face_dismissed": _l("Face dismissed"),
    "media.face_reopened": _l("Face reopened"),
    "media.fsck": _l("Media storage checked"),
    "media.outsider_added": _l("Outside person added"),
    "media.outsider_consent_recorded": _l("Outside person's consent recorded"),
    "media.outsider_consent_withdrawn": _l("Outside person's consent withdrawn"),
    "media.outsider_removed": _l("Outside person removed"),
    "media.rescan_queued": _l("Film queued to be scanned again"),
    "media.rescanned": _l("Film scanned again"),
    "media.tags_changed": _l("Tags changed"),
    "media.uploaded": _l("Item uploaded"),
    "people.imported": _l("People imported"),
    "people.sixteen_invited": _l("Pupils of 16 invited"),
    "person.erased": _l("Person erased"),
    "release.approval_approved": _l("Change approved"),
    "release.approval_proposed": _l("Change proposed for approval"),
    "release.approval_rejected": _l("Change rejected"),
    "release.channel_saved": _l("Channel saved"),
    "release.download_refused": _l("Download refused"),
    "release.downloaded": _l("Export downloaded"),
    "release.export_refused": _l("Export refused"),
    "release.export_requested": _l("Export waiting for approval"),
    "release.exported": _l("Exported"),
    "release.incident_registered": _l("Incident registered"),
    "release.published": _l("Publication recorded"),
    "release.takedown_opened": _l("Takedown opened"),
    "release.takedown_resolved": _l("Takedown resolved"),
    "school.group_created": _l("Group created"),
    "school.group_updated": _l("Group changed"),
    "school.guardian_added": _l("Guardian added"),
    "school.guardian_removed": _l("Guardian removed"),
    "school.guardian_updated": _l("Guardian changed"),
    "school.location_created": _l("Location created"),
    "school.location_updated": _l("Location changed"),
    "school.person_created": _l("Person added"),
    "school.person_updated": _l("Person changed"),
    "school.year_created": _l("School year created"),
    "school.year_updated": _l("School year changed"),
}

# The sentence per action. Placeholders: ``who`` (the account that acted, or "the system"),
# ``target`` (the row's object) and the names the ``Namer`` gives for the detail keys below.
SENTENCES: Mapping[str, Any] = {
    "access.refused": _l("%(who)s was refused a page they may not open"),
    "account.invited": _l("%(who)s invited %(target)s"),
    "account.invitation_accepted": _l("%(target)s accepted the invitation and chose a password"),
    "account.password_changed": _l("%(who)s changed their password"),
    "account.password_reset": _l("%(target)s chose a new password with a reset link"),
    "account.password_reset_requested": _l("A password reset link was requested for %(target)s"),
    "account.updated": _l("%(who)s changed the account of %(target)s"),
    "api.token_issued": _l("An API token was issued for %(user)s"),
    "api.token_revoked": _l("%(who)s revoked an API token of %(user)s"),
    "auth.sign_in": _l("%(who)s signed in"),
    "auth.sign_in_failed": _l("A sign-in as %(target)s failed"),
    "auth.sign_out": _l("%(who)s signed out"),
    "backup.created": _l("A backup of the whole installation was made"),
    "backup.restored": _l("The installation was restored from a backup"),
    "consent.campaign_reminded": _l("%(who)s sent reminders for %(target)s (%(mailed)s mails)"),
    "consent.campaign_resent": _l("%(who)s sent the campaign again about %(target)s"),
    "consent.campaign_started": _l("%(who)s started %(target)s"),
    "consent.decided:grant": _l("%(who)s gave consent for %(media)s for %(purpose)s of %(subject)s"),
    "consent.decided:refuse": _l("%(who)s refused consent for %(media)s for %(purpose)s of %(subject)s"),
    "consent.decided:withdraw": _l("%(who)s withdrew consent for %(media)s for %(purpose)s of %(subject)s"),
    "consent.decided": _l("%(who)s recorded a consent decision about %(subject)s"),
    "consent.form_published": _l("Consent form %(target)s was published"),
    "consent.paper_form_entered": _l("%(who)s entered a returned paper form for %(subject)s"),
    "consent.paper_forms_printed": _l("%(who)s printed %(letters)s paper forms"),
    "consent.paper_scan_viewed": _l("%(who)s viewed the scan of a paper form of %(subject)s"),
    "consent.withdrawal_taken": _l("%(who)s took down a withdrawal of everything by %(withdrawn_by)s for %(target)s"),
    "data.exported": _l("%(who)s downloaded the family's data"),
    "demo.loaded": _l("Demo data was loaded"),
    "media.album_created": _l("%(who)s created %(target)s"),
    "media.deleted": _l("%(who)s deleted %(target)s"),
    "media.erasure_quarantined": _l("%(target)s was quarantined after an erasure"),
    "media.face_dismissed": _l("%(who)s dismissed a face on %(target)s"),
    "media.face_reopened": _l("%(who)s reopened a face on %(target)s"),
    "media.fsck": _l("%(who)s checked the media storage"),
    "media.rescan_queued": _l("%(who)s had %(target)s scanned again for faces"),
    "media.rescanned": _l("%(target)s was scanned again for faces throughout"),
    "media.outsider_added": _l("%(who)s added a person from outside the school to %(target)s"),
    "media.outsider_consent_recorded": _l(
        "%(who)s recorded the consent of a person from outside the school on %(target)s"
    ),
    "media.outsider_consent_withdrawn": _l(
        "%(who)s withdrew the consent of a person from outside the school on %(target)s"
    ),
    "media.outsider_removed": _l("%(who)s removed a person from outside the school from %(target)s"),
    "media.tags_changed": _l("%(who)s changed who is shown on %(target)s"),
    "media.uploaded": _l("%(who)s uploaded %(target)s"),
    "people.imported": _l("%(who)s imported people into school year %(target)s"),
    "people.sixteen_invited": _l("%(who)s invited %(invited)s pupils of 16 or older"),
    "person.erased": _l("%(who)s erased a person and their data"),
    "release.approval_approved": _l("%(who)s approved a change to %(item)s proposed by %(proposer)s"),
    "release.approval_proposed": _l("%(who)s proposed a change to %(item)s for approval"),
    "release.approval_rejected": _l("%(who)s rejected a change to %(item)s proposed by %(proposer)s"),
    "release.channel_saved": _l("%(who)s saved the channel %(target)s"),
    "release.download_refused": _l("%(who)s was refused the download of %(target)s"),
    "release.downloaded": _l("%(who)s downloaded %(target)s"),
    "release.export_refused": _l("%(who)s was refused an export of %(count)s items to %(channel)s"),
    "release.export_requested": _l("%(who)s asked to export %(count)s items to %(channel)s (waiting for approval)"),
    "release.exported": _l("%(who)s exported %(count)s items to %(channel)s"),
    "release.incident_registered": _l("%(who)s registered an incident"),
    "release.published": _l("%(who)s recorded a publication of %(item)s"),
    "release.takedown_opened": _l("A takedown was opened for %(item)s"),
    "release.takedown_resolved": _l("%(who)s resolved a takedown"),
    "school.group_created": _l("%(who)s created %(target)s"),
    "school.group_updated": _l("%(who)s changed %(target)s"),
    "school.guardian_added": _l("%(who)s made %(guardian)s a guardian of %(pupil)s"),
    "school.guardian_removed": _l("%(who)s removed %(guardian)s as a guardian of %(pupil)s"),
    "school.guardian_updated": _l("%(who)s changed whether %(guardian)s has parental authority over %(pupil)s"),
    "school.location_created": _l("%(who)s created the location %(target)s"),
    "school.location_updated": _l("%(who)s changed the location %(target)s"),
    "school.person_created": _l("%(who)s added %(target)s"),
    "school.person_updated": _l("%(who)s changed the details of %(target)s"),
    "school.year_created": _l("%(who)s created school year %(target)s"),
    "school.year_updated": _l("%(who)s changed school year %(target)s"),
}

# Detail keys that name an object, and the kind of object they name (for the ``Namer``).
NAMED_DETAILS: Mapping[str, tuple[str, str]] = {
    "subject_id": ("subject", "person"),
    "pupil_id": ("pupil", "person"),
    "guardian_id": ("guardian", "person"),
    "withdrawn_by_id": ("withdrawn_by", "person"),
    "user_id": ("user", "user_account"),
    "proposed_by": ("proposer", "user_account"),
    "media_id": ("item", "media_item"),
    "channel": ("channel", "channel_key"),
    "media_type": ("media", "media_type"),
}
# Detail keys whose value is shown as a number.
COUNTED_DETAILS: Mapping[str, str] = {
    "media_ids": "count",
    "letters": "letters",
    "mailed": "mailed",
    "invited": "invited",
}


class Namer(Protocol):
    """Gives the words (escaped, possibly a link) for an object of a kind, or for the acting account."""

    def __call__(self, kind: str, value: Any) -> Markup: ...


def action_words(action: str) -> str:
    """The action in words; an action recorded by an older version without words shows its code."""
    phrase = ACTIONS.get(action)
    return str(phrase) if phrase is not None else _("Other action (%(code)s)", code=action)


def references(event: AuditEvent) -> list[tuple[str, Any]]:
    """The (kind, id) pairs a row's sentence names, so a view can look them all up at once."""
    found: list[tuple[str, Any]] = []
    if event.actor_id is not None:
        found.append(("user_account", event.actor_id))
    if event.target_type and event.target_id is not None:
        found.append((event.target_type, event.target_id))
    for key, (_placeholder, kind) in NAMED_DETAILS.items():
        value = (event.details or {}).get(key)
        if value is not None:
            found.append((kind, value))
    return found


def sentence(event: AuditEvent, name: Namer) -> Markup:
    """The row as one short sentence with the names ``name`` gives; never the raw details."""
    details = event.details or {}
    values: dict[str, Any] = {
        "who": name("user_account", event.actor_id) if event.actor_id is not None else escape(_("The system")),
        "target": (
            name(event.target_type, event.target_id)
            if event.target_type and event.target_id is not None
            else escape(_("an unknown account"))
        ),
        "purpose": name("purpose", (details.get("form_id"), details.get("purpose"))),
    }
    for key, (placeholder, kind) in NAMED_DETAILS.items():
        values[placeholder] = name(kind, details.get(key)) if details.get(key) is not None else escape(_("someone"))
    for key, placeholder in COUNTED_DETAILS.items():
        value = details.get(key)
        values[placeholder] = len(value) if isinstance(value, list) else int(value or 0)
    template = SENTENCES.get(f"{event.action}:{details.get('decision')}") or SENTENCES.get(event.action)
    if template is None:
        return escape(action_words(event.action))
    # The template is our own text; Markup's ``%`` escapes every value that is not already Markup.
    return escape(str(template)) % values
