"""`trinity run`'s accounts: the admin from settings in both modes, the demo guest only locally."""

from __future__ import annotations

from sqlmodel import Session, select

from backend.context import Context
from backend.models import User
from workers.cli import DEMO_USERS, ensure_demo_accounts


def test_demo_guest_only_in_local_mode_and_full_mode_prints_no_password(ctx: Context) -> None:
    logins = ensure_demo_accounts(ctx)
    with Session(ctx.engine) as session:
        emails = set(session.exec(select(User.email)).all())
    demo_emails = {email for email, _, _ in DEMO_USERS}
    assert ctx.settings.admin_email in emails
    if ctx.settings.mode == "local":
        assert demo_emails <= emails
        return
    assert not demo_emails & emails
    assert [role for role, _, _ in logins] == ["admin"]
    assert all(ctx.settings.admin_password not in shown for _, _, shown in logins)
