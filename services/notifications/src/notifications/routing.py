"""Who is told what: the routing table, in one place.

Each event maps to routes; a route names an audience, the preference category it belongs
to, and the French message (Jinja2 templates over the event `e`). The audience decides the
channels: people named by sub get the intranet inbox, people and mailboxes with an address
get email (subject to their preferences, applied by the consumer).

Audiences:
- AUTHORS: the author (inbox and email) and the co-authors (subs only: inbox only);
- CO_AUTHORS: the co-authors alone;
- INTRAPRENEUR: the project's intrapreneur; PROJECT_TEAM: the intrapreneur and the team;
- MANAGER: the intrapreneur's manager named in the event;
- INNOVATION_TEAM: the team's mailbox (email only, configured);
- COMMITTEE: the configured committee members (inbox for a sub, email for an address);
- DIRECTORATES: the configured mailbox of each directorate named in the event (email
  only; a directorate without a mailbox falls back to the innovation team's, who forward).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

from construisons import events as ev


class Audience(StrEnum):
    AUTHORS = "authors"
    CO_AUTHORS = "co_authors"
    INTRAPRENEUR = "intrapreneur"
    PROJECT_TEAM = "project_team"
    MANAGER = "manager"
    INNOVATION_TEAM = "innovation_team"
    COMMITTEE = "committee"
    DIRECTORATES = "directorates"


# Preferences are set per category; the label is what a person reads in their settings.
CATEGORIES: dict[str, str] = {
    "idea_progress": "Suivi de mes idées",
    "committee_decision": "Décisions du comité sur mes idées",
    "project": "Mes projets en incubation",
    "time_allocation": "Temps alloué aux projets",
    "committee_agenda": "Dossiers à examiner en comité",
    "team_watch": "Veille de l'équipe innovation",
    "redirection": "Idées réorientées vers une direction",
}


@dataclass(frozen=True)
class Route:
    audience: Audience
    category: str
    title: str
    body: str


AUTHOR = "{{ e.author.name or e.author.sub }}"
INTRAPRENEUR = "{{ e.intrapreneur.name or e.intrapreneur.sub }}"

ROUTES: dict[type[ev.Event], tuple[Route, ...]] = {
    ev.IdeaSubmitted: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "Votre idée « {{ e.title }} » a bien été reçue",
            "Merci pour votre proposition. L'équipe innovation vous contactera prochainement "
            "pour en parler avec vous.",
        ),
        Route(
            Audience.INNOVATION_TEAM,
            "team_watch",
            "Nouvelle idée : « {{ e.title }} »",
            AUTHOR + "{% if e.author.directorate %} ({{ e.author.directorate }}){% endif %} "
            "a déposé une idée.\n\nProblème : {{ e.problem }}\n\nSolution : {{ e.solution }}",
        ),
    ),
    ev.IdeaUpdated: (
        Route(
            Audience.CO_AUTHORS,
            "idea_progress",
            "L'idée « {{ e.title }} » a été modifiée",
            "Une nouvelle version (révision {{ e.revision }}) de l'idée que vous portez avec "
            + AUTHOR
            + " est disponible.",
        ),
    ),
    ev.IdeaWithdrawn: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "Votre idée « {{ e.title }} » a été retirée",
            "Le retrait de l'idée est enregistré.{% if e.reason %}\n\nMotif indiqué : "
            "{{ e.reason }}{% endif %}",
        ),
        Route(
            Audience.INNOVATION_TEAM,
            "team_watch",
            "Idée retirée : « {{ e.title }} »",
            AUTHOR + " a retiré son idée.{% if e.reason %}\n\nMotif : {{ e.reason }}{% endif %}",
        ),
    ),
    ev.IdeaQualificationStarted: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "L'équipe innovation a pris contact au sujet de « {{ e.title }} »",
            "{{ e.contacted_by.name or e.contacted_by.sub }} a engagé la qualification de votre "
            "idée (prise de contact : {{ e.channel }}). Ensemble, vous allez préciser le problème "
            "et la solution avant un passage en comité.",
        ),
    ),
    ev.IdeaQualified: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "Votre idée « {{ e.title }} » est qualifiée",
            "Elle est prête à être présentée au comité de direction générale."
            "{% if e.summary %}\n\nSynthèse : {{ e.summary }}{% endif %}",
        ),
        Route(
            Audience.COMMITTEE,
            "committee_agenda",
            "Dossier qualifié pour le comité : « {{ e.title }} »",
            "L'équipe innovation a qualifié cette idée ; elle sera proposée à une prochaine "
            "séance du comité.{% if e.summary %}\n\nSynthèse : {{ e.summary }}{% endif %}"
            "{% if e.directorates %}\n\nDirections concernées : "
            "{{ e.directorates | join(', ') }}{% endif %}",
        ),
    ),
    ev.IdeaSentBack: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "Des précisions sont demandées sur « {{ e.title }} »",
            "L'équipe innovation a besoin de précisions avant de qualifier votre idée.\n\n"
            "Sa demande : {{ e.reason }}",
        ),
    ),
    ev.IdeaClosedAsDuplicate: (
        Route(
            Audience.AUTHORS,
            "idea_progress",
            "Votre idée « {{ e.title }} » rejoint une idée existante",
            "Une idée très proche a déjà été proposée : votre contribution lui est rattachée "
            "pour unir les forces.{% if e.reason %}\n\n{{ e.reason }}{% endif %}",
        ),
    ),
    ev.FirstContactOverdue: (
        Route(
            Audience.INNOVATION_TEAM,
            "team_watch",
            "Premier contact en retard : « {{ e.title }} »",
            "Aucun contact avec " + AUTHOR + " n'a été enregistré à la date promise "
            "({{ e.due_on | date_fr }}).",
        ),
    ),
    ev.CaseScheduled: (
        Route(
            Audience.COMMITTEE,
            "committee_agenda",
            "« {{ e.title }} » est inscrite à la séance du {{ e.session_date | date_fr }}",
            "Le dossier est inscrit à l'ordre du jour de la séance « {{ e.session_title }} » "
            "du {{ e.session_date | date_fr }} : merci d'en prendre connaissance avant la séance.",
        ),
    ),
    ev.IdeaApproved: (
        Route(
            Audience.AUTHORS,
            "committee_decision",
            "Le comité a retenu votre idée « {{ e.title }} »",
            "Décision du comité : idée retenue, {{ e.track | track_fr }}.\n\n"
            "Motif du comité : {{ e.reason }}\n\n"
            "Votre idée entre en incubation : l'équipe innovation vous accompagne pour la suite.",
        ),
    ),
    ev.IdeaRedirected: (
        Route(
            Audience.AUTHORS,
            "committee_decision",
            "Votre idée « {{ e.title }} » est réorientée",
            "Le comité a décidé de confier votre idée à la direction concernée "
            "({{ e.directorates | join(', ') }}) plutôt que de l'incuber.\n\n"
            "Motif du comité : {{ e.reason }}",
        ),
        Route(
            Audience.DIRECTORATES,
            "redirection",
            "Idée réorientée vers votre direction : « {{ e.title }} »",
            "Le comité de direction générale vous transmet cette idée d'agent "
            "(directions destinataires : {{ e.directorates | join(', ') }}).\n\n"
            "Motifs du comité : {{ e.reason }}"
            "{% if e.problem %}\n\nProblème : {{ e.problem }}{% endif %}"
            "{% if e.solution %}\n\nSolution : {{ e.solution }}{% endif %}\n\n"
            "Auteur ou autrice : " + AUTHOR + "{% if e.author.email %} ({{ e.author.email }})"
            "{% endif %}",
        ),
    ),
    ev.IncubationStarted: (
        Route(
            Audience.INTRAPRENEUR,
            "project",
            "Votre projet « {{ e.title }} » démarre en incubation",
            "Vous en devenez l'intrapreneur ou l'intrapreneuse. Première phase : "
            "{{ e.phase | phase_fr }}.\n\nVous pouvez dès maintenant demander à votre "
            "responsable du temps pour mener le projet.",
        ),
    ),
    ev.TimeAllocationRequested: (
        Route(
            Audience.MANAGER,
            "time_allocation",
            "Demande de temps pour le projet « {{ e.title }} »",
            INTRAPRENEUR + " demande à consacrer {{ e.share_percent | percent }} % de son temps "
            "au projet du {{ e.starts_on | date_fr }} au {{ e.ends_on | date_fr }}.\n\n"
            "Justification : {{ e.justification }}\n\n"
            "La demande attend votre décision (accord, accord avec modifications ou refus).",
        ),
    ),
    ev.TimeAllocationDecided: (
        Route(
            Audience.INTRAPRENEUR,
            "time_allocation",
            "Votre demande de temps pour « {{ e.title }} » : {{ e.decision | decision_fr }}",
            "{{ e.decided_by.name or e.decided_by.sub }}"
            "{% if e.on_behalf_of_manager %} (pour le compte de votre responsable){% endif %} "
            "a statué : {{ e.decision | decision_fr }}."
            "{% if e.share_percent is not none and e.starts_on and e.ends_on %}\n\n"
            "Temps accordé : {{ e.share_percent | percent }} % du {{ e.starts_on | date_fr }} "
            "au {{ e.ends_on | date_fr }}.{% endif %}"
            "{% if e.reason %}\n\nMotif : {{ e.reason }}{% endif %}",
        ),
    ),
    ev.ProjectPhaseChanged: (
        Route(
            Audience.PROJECT_TEAM,
            "project",
            "Le projet « {{ e.title }} » passe en phase {{ e.to_phase | phase_fr }}",
            "Le projet quitte la phase {{ e.from_phase | phase_fr }} pour la phase "
            "{{ e.to_phase | phase_fr }}.{% if e.gate_override_reason %}\n\n"
            "Passage décidé sans que tous les critères soient remplis : "
            "{{ e.gate_override_reason }}{% endif %}",
        ),
    ),
    ev.ProjectCompleted: (
        Route(
            Audience.PROJECT_TEAM,
            "project",
            "Le projet « {{ e.title }} » est mis en œuvre",
            "Ce qui a été mis en œuvre : {{ e.implemented }}\n\n"
            "Bénéficiaires : {{ e.beneficiaries }}\n\nMerci à toute l'équipe du projet !",
        ),
    ),
    ev.ProjectAbandoned: (
        Route(
            Audience.PROJECT_TEAM,
            "project",
            "Le projet « {{ e.title }} » est arrêté",
            "Motif de l'arrêt : {{ e.reason }}"
            "{% if e.lessons_learned %}\n\nEnseignements : {{ e.lessons_learned }}{% endif %}",
        ),
    ),
}


# --- recipients -----------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: an intranet sub (inbox), an email address, or both."""

    sub: str | None = None
    email: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, person: ev.Person) -> "Recipient":
        return cls(sub=person.sub, email=person.email, name=person.name)


@dataclass(frozen=True)
class Directory:
    """The recipients that come from configuration rather than from events."""

    innovation_team_mailbox: str
    committee: tuple[Recipient, ...] = ()
    directorate_mailboxes: Mapping[str, str] = field(default_factory=dict)


def _authors(e: Any, d: Directory) -> Iterable[Recipient]:
    yield Recipient.of(e.author)
    yield from _co_authors(e, d)


def _co_authors(e: Any, d: Directory) -> Iterable[Recipient]:
    # Co-authors are named by sub only: they are reached on the intranet.
    return (Recipient(sub=sub) for sub in e.co_authors)


def _intrapreneur(e: Any, d: Directory) -> Iterable[Recipient]:
    yield Recipient.of(e.intrapreneur)


def _project_team(e: Any, d: Directory) -> Iterable[Recipient]:
    yield Recipient.of(e.intrapreneur)
    yield from (Recipient.of(member) for member in e.team)


def _manager(e: Any, d: Directory) -> Iterable[Recipient]:
    yield Recipient.of(e.manager)


def _innovation_team(e: Any, d: Directory) -> Iterable[Recipient]:
    yield Recipient(email=d.innovation_team_mailbox)


def _committee(e: Any, d: Directory) -> Iterable[Recipient]:
    return d.committee


def _directorates(e: Any, d: Directory) -> Iterable[Recipient]:
    for directorate in e.directorates:
        mailbox = d.directorate_mailboxes.get(directorate, d.innovation_team_mailbox)
        yield Recipient(email=mailbox)


AUDIENCES: dict[Audience, Callable[[Any, Directory], Iterable[Recipient]]] = {
    Audience.AUTHORS: _authors,
    Audience.CO_AUTHORS: _co_authors,
    Audience.INTRAPRENEUR: _intrapreneur,
    Audience.PROJECT_TEAM: _project_team,
    Audience.MANAGER: _manager,
    Audience.INNOVATION_TEAM: _innovation_team,
    Audience.COMMITTEE: _committee,
    Audience.DIRECTORATES: _directorates,
}


# --- messages -------------------------------------------------------------------------

PHASES = {
    "feasibility_study": "étude de faisabilité",
    "experimentation": "expérimentation",
    "implementation": "mise en œuvre",
    "completed": "terminé",
    "abandoned": "abandonné",
}
TRACKS = {
    "experiment": "pour une expérimentation immédiate",
    "study": "avec une étude de faisabilité préalable",
}
DECISIONS = {
    "approved": "accordée",
    "approved_with_changes": "accordée avec modifications",
    "declined": "refusée",
}


def _date_fr(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _percent(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# Messages are plain text: escaping is the job of each channel (the HTML email layout
# autoescapes them, the intranet page renders JSON strings as text).
_messages = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
_messages.filters.update(
    date_fr=_date_fr,
    percent=_percent,
    phase_fr=lambda v: PHASES.get(v, v),
    track_fr=lambda v: TRACKS.get(v, v),
    decision_fr=lambda v: DECISIONS.get(v, v),
)


@dataclass(frozen=True)
class Notice:
    """One message for one recipient: `sub` reaches the inbox, `email` the mailbox."""

    sub: str | None
    email: str | None
    name: str | None
    category: str
    title: str
    body: str
    link: str


def link_of(event: ev.Event) -> str:
    """The intranet page an event is about: the project if there is one, else the idea."""
    project_id = getattr(event, "project_id", None)
    if project_id is not None:
        return f"/projects/{project_id}"
    return f"/ideas/{event.idea_id}"  # type: ignore[attr-defined]


@lru_cache(maxsize=256)
def _compiled(template: str) -> Template:
    return _messages.from_string(template)


def render(template: str, event: ev.Event) -> str:
    """Render one French message template over an event."""
    return _compiled(template).render(e=event).strip()


_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def mail_address(value: str | None) -> str | None:
    """The address normalised, or None if it cannot be one mailbox (nothing to send to)."""
    if not value:
        return None
    address = value.strip().lower()
    return address if len(address) <= 320 and _ADDRESS.fullmatch(address) else None


def plan(event: ev.Event, directory: Directory) -> list[Notice]:
    """Everyone an event concerns, with their message; each sub and each address once.

    A person reached by an earlier route is not reached again by a later one (the author
    who is also on the committee gets the author's message).
    """
    notices: list[Notice] = []
    seen_subs: set[str] = set()
    seen_emails: set[str] = set()
    link = link_of(event)
    for route in ROUTES.get(type(event), ()):
        title = render(route.title, event)[:300]
        body = render(route.body, event)
        for recipient in AUDIENCES[route.audience](event, directory):
            sub = recipient.sub if recipient.sub not in seen_subs else None
            email = mail_address(recipient.email)
            if email in seen_emails:
                email = None
            if sub is None and email is None:
                continue
            if sub is not None:
                seen_subs.add(sub)
            if email is not None:
                seen_emails.add(email)
            notices.append(Notice(sub, email, recipient.name, route.category, title, body, link))
    return notices
