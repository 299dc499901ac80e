"""The routing table and the delivery rules, without I/O."""

import uuid
from datetime import UTC, date, datetime, timedelta
from email.errors import HeaderParseError
from email.header import Header
from email.policy import Compat32

from construisons import events as ev
from notifications import domain
from notifications.mail import MailRenderer, SmtpPolicy
from notifications.routing import CATEGORIES, ROUTES, Directory, Recipient, mail_address, plan

DIRECTORY = Directory(
    innovation_team_mailbox="innovation@d.example",
    committee=(Recipient(sub="committee.a", email="a@d.example"), Recipient(email="b@d.example")),
    directorate_mailboxes={"DSI": "dsi@d.example"},
)


def _author(sub: str = "agent.a") -> ev.Person:
    return ev.Person(sub=sub, name="Alex", email=f"{sub}@d.example")


def test_every_event_has_a_route_in_a_known_category() -> None:
    assert set(ROUTES) == set(ev.EVENTS)
    for routes in ROUTES.values():
        assert routes
        assert all(route.category in CATEGORIES for route in routes)


def test_author_also_on_the_committee_is_told_once() -> None:
    author = ev.Person(sub="committee.a", name="Alex", email="A@d.example")
    event = ev.IdeaQualified(idea_id=uuid.uuid4(), title="Idée", author=author)
    notices = plan(event, DIRECTORY)
    assert [(n.sub, n.email, n.category) for n in notices] == [
        ("committee.a", "a@d.example", "idea_progress"),
        (None, "b@d.example", "committee_agenda"),
    ]


def test_co_authors_are_reached_on_the_intranet_only() -> None:
    event = ev.IdeaSentBack(
        idea_id=uuid.uuid4(), title="Idée", author=_author(), co_authors=["agent.b"], reason="?"
    )
    assert [(n.sub, n.email) for n in plan(event, DIRECTORY)] == [
        ("agent.a", "agent.a@d.example"),
        ("agent.b", None),
    ]


def test_directorate_without_mailbox_falls_back_to_the_innovation_team() -> None:
    event = ev.IdeaRedirected(
        idea_id=uuid.uuid4(),
        title="Idée",
        author=_author(),
        directorates=["DSI", "Culture"],
        reason="Gestion courante.",
    )
    emails = [n.email for n in plan(event, DIRECTORY) if n.category == "redirection"]
    assert emails == ["dsi@d.example", "innovation@d.example"]


def test_messages_are_french_and_carry_the_reason() -> None:
    event = ev.TimeAllocationDecided(
        allocation_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        idea_id=uuid.uuid4(),
        title="Covoiturage",
        intrapreneur=_author(),
        manager=_author("manager.m"),
        decision="declined",
        reason="Période de clôture budgétaire.",
        decided_by=_author("manager.m"),
    )
    [notice] = plan(event, DIRECTORY)
    assert notice.title == "Votre demande de temps pour « Covoiturage » : refusée"
    assert "Période de clôture budgétaire." in notice.body
    assert notice.link == f"/projects/{event.project_id}"


def test_retry_delay_doubles_up_to_its_cap() -> None:
    delays = [domain.retry_delay(n, base=30, cap=300).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]


def test_delivery_fails_for_good_after_the_last_attempt() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert domain.after_failure(2, now, max_attempts=3, base=10, cap=60) == (
        "pending",
        now + timedelta(seconds=20),
    )
    assert domain.after_failure(3, now, max_attempts=3, base=10, cap=60) == ("failed", now)


def test_email_mode_decides_the_first_status() -> None:
    assert domain.initial_status("immediate") == "pending"
    assert domain.initial_status("digest") == "awaiting_digest"
    assert domain.initial_status("none") is None


def test_digest_is_due_from_the_configured_local_hour() -> None:
    # 16:00 UTC is 17:00 in Paris in winter.
    before = datetime(2026, 12, 3, 15, 59, tzinfo=UTC)
    at = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert domain.digest_day_due(before, hour=17, timezone="Europe/Paris") is None
    assert domain.digest_day_due(at, hour=17, timezone="Europe/Paris") == date(2026, 12, 3)


def test_only_plausible_single_addresses_are_mailed() -> None:
    assert mail_address(" Alex.Martin@Departement.example ") == "alex.martin@departement.example"
    for bad in ("", None, "alex", "a@b", "a@b.fr\nBcc: x@y.fr", "a@b.fr, c@d.fr", "<a@b.fr>"):
        assert mail_address(bad) is None
    author = ev.Person(sub="agent.a", email="pas une adresse")
    event = ev.IdeaSentBack(idea_id=uuid.uuid4(), title="Idée", author=author, reason="?")
    assert [(n.sub, n.email) for n in plan(event, DIRECTORY)] == [("agent.a", None)]


def test_a_title_spanning_lines_keeps_the_subject_on_one_line() -> None:
    mail = MailRenderer("https://intranet.example").notice(
        name=None, title="Idée\r\nBcc: x@y.fr", body="Corps", link=None
    )
    assert mail.subject == "[Construisons] Idée Bcc: x@y.fr"


def test_mail_headers_are_written_as_compat32_folds_them() -> None:
    # The policy's short cut for plain one-line headers changes nothing in what is sent.
    values = [
        "a@d.example",
        "Construisons <construisons@departement.example>",
        "<5b55c656-fda6-41e4-983b-e83c1bb72cb6@construisons.notifications>",
        "Fri, 04 Dec 2026 10:51:19 GMT",
        "two  spaces",
        " leading space",
        "trailing space ",
        "tab\there",
        "Idée accentuée",
        "line\r\nBcc: x@y.fr",
        "x" * 70,
        "word " * 20,
        "=?utf-8?b?w6k=?=",
        "",
        Header("[Construisons] Votre idée « " + "très longue " * 8 + "» a bien été reçue", "utf-8"),
    ]

    def folded(policy: Compat32, name: str, value: object) -> object:
        try:
            return policy.fold_binary(name, value)
        except HeaderParseError as exc:  # a header injection is refused alike
            return str(exc)

    reference = Compat32(linesep="\r\n")
    policy = SmtpPolicy(linesep="\r\n")
    for name in ("To", "Message-ID", "X-Construisons-Delivery", "Subject"):
        # On one line up to 78 characters, folded from 79.
        room = 78 - len(name) - 2
        edges = ["x" * room, "x" * (room + 1), "a " + "x" * (room - 2), "a " + "x" * (room - 1)]
        for value in values + edges:
            assert folded(policy, name, value) == folded(reference, name, value), value
