def test_a_parent_sees_own_children_only(client, login_as, world):
    login_as("parent")
    page = client.get("/home").get_data(as_text=True)
    assert "Sem de Vries" in page and "Emma de Vries" in page
    assert "Noah" not in page


def test_the_demo_school_loads_once_and_prints_its_sign_ins(app, runner, monkeypatch):
    """The demo (``make run``) is for trying the app; the tests build their own school."""
    monkeypatch.setitem(app.config, "DEMO_DATA", True)
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    for email in ("admin@example.org", "comms@example.org", "teacher@example.org", "parent@example.org"):
        assert email in first.output
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code != 0 and "only loaded into an empty one" in refused.output


def test_the_demo_is_refused_outside_development(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_DATA", False)  # as in production
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "development only" in result.output


def test_the_demo_has_a_proposal_for_the_leadership(app, runner, monkeypatch, forms_dir, tmp_path):
    """With a consent form in force, the demo holds one photo whose untagging waits for leadership."""
    from sqlalchemy import select

    from app.consent.form_files import sync_forms
    from app.extensions import db
    from app.release.models import Approval, ApprovalStatus, ReleaseBlock

    monkeypatch.setitem(app.config, "DEMO_DATA", True)
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    with app.app_context():
        assert not sync_forms(forms_dir).problems
        db.session.commit()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        [proposal] = db.session.scalars(select(Approval)).all()
        assert proposal.status is ApprovalStatus.OPEN and proposal.proposed_by.email == "comms@example.org"
        noah = proposal.change["remove"]
        assert len(noah) == 1 and db.session.scalar(select(ReleaseBlock).where(ReleaseBlock.person_id == noah[0]))
