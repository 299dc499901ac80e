"""Weighted means per axis, the scorecard's checks and the matrix quadrants."""

import pytest

from construisons.rules import Invalid
from review.config import Settings
from review.domain.scoring import (
    DEFAULT_CRITERIA,
    Criterion,
    axis_means,
    check_scorecard,
    criterion_means,
    quadrant_of,
)

CUSTOM = (
    Criterion("strategic_impact", "Impact stratégique", "impact", 2),
    Criterion("user_value", "Valeur pour les usagers", "impact", 1),
    Criterion("feasibility", "Faisabilité", "feasibility", 1),
    Criterion("cost", "Coût maîtrisé", "feasibility", 3),
)


def test_weighted_mean_per_axis_with_custom_criteria() -> None:
    cards = [
        {"strategic_impact": 5, "user_value": 2, "feasibility": 4, "cost": 2},
        {"strategic_impact": 3, "user_value": 4, "feasibility": 1, "cost": 5},
    ]
    # impact: (2·5 + 1·2 + 2·3 + 1·4) / 6 = 22/6; feasibility: (4 + 3·2 + 1 + 3·5) / 8 = 26/8
    assert axis_means(CUSTOM, cards) == {"impact": 3.67, "feasibility": 3.25}
    assert criterion_means(CUSTOM, cards) == {
        "strategic_impact": 4.0,
        "user_value": 3.0,
        "feasibility": 2.5,
        "cost": 3.5,
    }


def test_no_scores_no_mean() -> None:
    assert axis_means(DEFAULT_CRITERIA, []) == {"impact": None, "feasibility": None}


def test_a_scorecard_covers_every_criterion_and_nothing_else() -> None:
    check_scorecard(CUSTOM, {"strategic_impact": 1, "user_value": 5, "feasibility": 3, "cost": 2})
    with pytest.raises(Invalid, match="Coût maîtrisé"):
        check_scorecard(CUSTOM, {"strategic_impact": 1, "user_value": 5, "feasibility": 3})
    with pytest.raises(Invalid, match="inconnu"):
        check_scorecard(DEFAULT_CRITERIA, {"strategic_impact": 1, "feasibility": 3, "budget": 2})
    with pytest.raises(Invalid):
        check_scorecard(DEFAULT_CRITERIA, {"strategic_impact": 6, "feasibility": 3})


def test_quadrants_split_at_the_middle_of_the_scale() -> None:
    assert quadrant_of(4.5, 4).key == "quick_wins"
    assert quadrant_of(3, 3).key == "quick_wins"
    assert quadrant_of(4, 1.5).key == "strategic_bets"
    assert quadrant_of(2, 5).key == "easy_gains"
    assert quadrant_of(1, 1).key == "reconsider"


def test_mandatory_criteria_are_always_configured() -> None:
    settings = Settings(
        scoring_criteria=[{"key": "cost", "label": "Coût", "axis": "feasibility", "weight": 2}]
    )
    assert [c.key for c in settings.criteria] == ["strategic_impact", "feasibility", "cost"]


def test_criteria_come_from_a_json_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SCORING_CRITERIA",
        '[{"key": "strategic_impact", "label": "Impact", "axis": "impact", "weight": 3},'
        ' {"key": "feasibility", "label": "Faisabilité", "axis": "feasibility"}]',
    )
    assert Settings().criteria[0] == Criterion("strategic_impact", "Impact", "impact", 3.0)
