"""What the intake API reads and answers (pydantic models)."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from construisons.events import Person
from construisons.http import Line, Text


def _well_formed(value: str) -> str:
    # JSON may carry lone surrogates (\ud800): not storable text, refused as bad input.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("Ce texte contient des caractères invalides.") from exc
    if not value.strip():
        raise ValueError("Ce texte ne peut pas être vide.")
    return value


CleanText = Annotated[Text, AfterValidator(_well_formed)]
CleanLine = Annotated[Line, AfterValidator(_well_formed)]
Title = Annotated[CleanLine, Field(min_length=5, max_length=120)]
LongText = Annotated[CleanText, Field(min_length=20, max_length=5000)]
Benefits = Annotated[CleanText, Field(min_length=1, max_length=5000)]
Theme = Annotated[CleanLine, Field(max_length=100)]
AgentId = Annotated[CleanLine, Field(min_length=1, max_length=200)]
Beneficiaries = Literal["agents", "public", "both"]


class IdeaIn(BaseModel):
    """An idea as the intranet form posts it."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(examples=["Relais-colis dans nos implantations"])
    problem: LongText = Field(description="Le problème constaté sur le terrain.")
    solution: LongText = Field(description="La solution proposée.")
    expected_benefits: Benefits | None = None
    themes: list[Theme] = Field(default=[], max_length=10)
    beneficiaries: Beneficiaries | None = None
    co_authors: list[AgentId] = Field(default=[], max_length=10)
    show_author: StrictBool = True


class IdeaPatch(BaseModel):
    """The fields an author changes; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    problem: LongText | None = None
    solution: LongText | None = None
    expected_benefits: Benefits | None = None
    themes: list[Theme] | None = Field(default=None, max_length=10)
    beneficiaries: Beneficiaries | None = None
    co_authors: list[AgentId] | None = Field(default=None, max_length=10)
    show_author: StrictBool | None = None


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[CleanText, Field(max_length=2000)] | None = None


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[CleanText, Field(min_length=1, max_length=3000)]


class HideCommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[CleanText, Field(min_length=3, max_length=1000)]


class TimelineEntry(BaseModel):
    status: str
    label: str
    occurred_at: datetime
    track: str | None = None
    directorates: list[str] | None = None
    duplicate_of: uuid.UUID | None = None
    reason: str | None = None


class SimilarIdea(BaseModel):
    id: uuid.UUID
    title: str
    status: str
    score: float = Field(description="Entre 0 et 1 : plus il est haut, plus l'idée est proche.")


class IdeaSummary(BaseModel):
    """An idea as a card of the board."""

    id: uuid.UUID
    title: str
    excerpt: str
    themes: list[str]
    beneficiaries: str | None
    show_author: bool
    author: Person | None = Field(
        description="Absent quand l'auteur a choisi de ne pas s'afficher."
    )
    directorate: str | None
    status: str
    status_label: str
    track: str | None
    support_count: int
    supported_by_me: bool
    comment_count: int
    created_at: datetime
    updated_at: datetime


class IdeaOut(BaseModel):
    """An idea in full, with its timeline."""

    id: uuid.UUID
    title: str
    problem: str
    solution: str
    expected_benefits: str | None
    themes: list[str]
    beneficiaries: str | None
    co_authors: list[str]
    show_author: bool
    author: Person | None = Field(
        description="Absent quand l'auteur a choisi de ne pas s'afficher."
    )
    directorate: str | None
    status: str
    status_label: str
    track: str | None
    redirected_to: list[str]
    revision: int
    editable: bool = Field(description="L'appelant peut encore modifier ou retirer l'idée.")
    support_count: int
    supported_by_me: bool
    comment_count: int
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry]


class SubmittedIdea(IdeaOut):
    similar: list[SimilarIdea] = Field(description="Les idées existantes les plus proches.")


class Page(BaseModel):
    items: list[IdeaSummary]
    next_cursor: str | None


class SimilarPage(BaseModel):
    items: list[SimilarIdea]


class SupportOut(BaseModel):
    idea_id: uuid.UUID
    supported: bool
    support_count: int


class CommentOut(BaseModel):
    id: uuid.UUID
    idea_id: uuid.UUID
    author: Person
    body: str
    created_at: datetime
    hidden: bool = False
    hidden_reason: str | None = None
    hidden_by: Person | None = None
    hidden_at: datetime | None = None


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None


class ThemesOut(BaseModel):
    themes: list[str]


def person(value: Any) -> Person | None:
    return None if value is None else Person.model_validate(value)
