"""No number that shapes behaviour hides in the schema as a default: a scenario states it.

A default in `schema.py` would be a constant in code that no scenario file shows, so no modeller
sees it or sweeps it knowingly. The only defaults allowed describe absence in the data, and each
is named here with why.
"""

from __future__ import annotations

import pydantic
import pytest
from support import default_scenario

from wargame.config import schema

ABSENCE_DEFAULTS = {
    # A node states only what it has: no host, no role, no defences, no exposure, no C2,
    # unhardened, of unit value (the value scale's reference).
    "Node.host",
    "Node.role",
    "Node.value",
    "Node.hardening",
    "Node.population_exposure",
    "Node.energy_proximity",
    "Node.c2",
    "Node.defences",
    # An edge is an open sea lane unless it says otherwise.
    "Edge.kind",
    "Edge.lane",
    # A weapon with no interceptor-specific kill chance; an interceptor fielded under every mix.
    "Weapon.pk",
    "Interceptor.requires_mix",
    # A salvo lists only the kinds it fires; an IRGC without cruise missiles names none.
    "Salvo.ballistic",
    "Salvo.drone",
    "Salvo.cruise",
    "IrgcParams.cruise_weapon",
    # An inject fills only the fields of its kind.
    "Inject.value",
    "Inject.channel",
    "Inject.actor",
    "Inject.action",
    "Inject.attacks",
    "Inject.node",
    "Inject.damage",
    "Inject.note",
    # A scenario may have no description, no edges of its own and no injects.
    "Scenario.description",
    "Scenario.edges",
    "Scenario.injects",
    # Words for a classroom, never a number: a scenario may have no classroom section, and its
    # host teams may share the hosts' brief instead of one each.
    "Scenario.classroom",
    "ClassroomBriefs.host_states",
}


def schema_models() -> list[type[pydantic.BaseModel]]:
    return [
        value
        for value in vars(schema).values()
        if isinstance(value, type)
        and issubclass(value, pydantic.BaseModel)
        and value.__module__ == schema.__name__
    ]


def defaulted_fields() -> set[str]:
    return {
        f"{model.__name__}.{name}"
        for model in schema_models()
        for name, info in model.model_fields.items()
        if not info.is_required()
    }


def test_only_absence_in_the_data_has_a_default():
    hidden = sorted(defaulted_fields() - ABSENCE_DEFAULTS)
    assert not hidden, (
        "schema fields with a default a scenario never shows; make them required and write "
        f"them in configs/scenarios/gulf_2026.yaml: {hidden}"
    )


def test_the_allow_list_names_real_fields():
    assert defaulted_fields() >= ABSENCE_DEFAULTS


@pytest.mark.parametrize("section", ["adjudication", "levers"])
def test_a_scenario_without_a_behavioural_section_is_refused_naming_it(section):
    data = default_scenario().model_dump(mode="json")
    del data[section]
    with pytest.raises(pydantic.ValidationError, match=section):
        schema.Scenario.model_validate(data)
