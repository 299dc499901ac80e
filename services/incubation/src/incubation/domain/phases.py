"""Incubation phases: where each track starts, forward-only moves and the feasibility gate."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from construisons.events import Phase, Track
from incubation.domain import Refused
from incubation.domain.workstreams import Workstream, is_settled

ActivePhase = Literal["feasibility_study", "experimentation", "implementation"]

PHASES: tuple[Phase, ...] = (
    "feasibility_study",
    "experimentation",
    "implementation",
    "completed",
    "abandoned",
)
TERMINAL: frozenset[Phase] = frozenset({"completed", "abandoned"})
PHASE_LABELS: dict[str, str] = {
    "feasibility_study": "Étude de faisabilité",
    "experimentation": "Expérimentation",
    "implementation": "Mise en œuvre",
    "completed": "Terminé",
    "abandoned": "Abandonné",
}
# Completed and abandoned share the last rank: both end the project.
_RANK: dict[str, int] = {
    "feasibility_study": 0,
    "experimentation": 1,
    "implementation": 2,
    "completed": 3,
    "abandoned": 3,
}


def start_phase(track: Track) -> Phase:
    """The phase a project of this track starts in."""
    return "feasibility_study" if track == "study" else "experimentation"


@dataclass(frozen=True)
class PhaseChange:
    """An accepted move, with the override reason when the gate was bypassed."""

    from_phase: Phase
    to_phase: Phase
    gate_override_reason: str | None = None


def ensure_open(phase: str) -> None:
    """Refuse any change to a completed or abandoned project."""
    if phase in TERMINAL:
        raise Refused(
            f"Le projet est clos (phase « {PHASE_LABELS[phase]} ») : il ne peut plus être modifié."
        )


def unsettled_workstreams(workstreams: Iterable[Workstream]) -> list[Workstream]:
    """Workstreams neither done nor marked not applicable."""
    return [w for w in workstreams if not is_settled(w)]


def change_phase(
    current: Phase,
    target: Phase,
    workstreams: Iterable[Workstream],
    gate_override_reason: str | None = None,
) -> PhaseChange:
    """Move forward to `target`; leaving the feasibility study needs every workstream settled
    unless the team records an override with its reason."""
    ensure_open(current)
    if target in TERMINAL:
        raise Refused(
            "Pour clore un projet, utilisez « terminer » ou « abandonner » : "
            "ces actions demandent le bilan du projet."
        )
    if _RANK[target] == _RANK[current]:
        raise Refused(f"Le projet est déjà en phase « {PHASE_LABELS[current]} ».")
    if _RANK[target] < _RANK[current]:
        raise Refused(
            f"Un projet ne revient pas en arrière : il est en phase « {PHASE_LABELS[current]} » "
            f"et ne peut pas repasser en « {PHASE_LABELS[target]} »."
        )
    reason = (gate_override_reason or "").strip() or None
    if current != "feasibility_study":
        # The gate guards the feasibility study only; elsewhere an override means nothing.
        return PhaseChange(from_phase=current, to_phase=target)
    pending = unsettled_workstreams(workstreams)
    if not pending:
        return PhaseChange(from_phase=current, to_phase=target)
    if reason is None:
        names = ", ".join(f"« {w.label} »" for w in pending)
        raise Refused(
            "L'étude de faisabilité n'est pas terminée : chaque chantier doit être fait ou "
            f"déclaré sans objet. Chantiers restants : {names}. Pour passer outre, "
            "indiquez la raison de la dérogation."
        )
    return PhaseChange(from_phase=current, to_phase=target, gate_override_reason=reason)


def close(current: Phase, outcome: Literal["completed", "abandoned"]) -> PhaseChange:
    """Complete a project in implementation, or abandon an open project at any phase."""
    ensure_open(current)
    if outcome == "completed" and current != "implementation":
        raise Refused(
            "Seul un projet en phase « Mise en œuvre » peut être déclaré terminé ; "
            f"celui-ci est en phase « {PHASE_LABELS[current]} »."
        )
    return PhaseChange(from_phase=current, to_phase=outcome)
