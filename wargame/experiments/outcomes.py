"""The scalar outcomes a sweep may keep per run: what each means and its value's type.

Data only, with no engine or pandas behind it: `run.py validate` checks an experiment's
`outcomes` against these names without loading Mesa. `single_run.outcome_values` reads them
from a run's summary.
"""

from __future__ import annotations

# The scalar outcomes a sweep may keep per run, read from `single_run.summarise`'s
# dictionary.
OUTCOMES = {
    "mou_collapsed_round": "round the MOU collapsed (missing when it held)",
    "truce_held": "the MOU never collapsed",
    "mou_final": "MOU state at the end",
    "highest_rung": "highest escalation rung reached",
    "loop_in_order": "the first host strike followed a CENTCOM strike that followed an interdiction",
    "first_interdiction_round": "round of the first attack on a ship",
    "first_centcom_strike_round": "round of the first US strike on Iranian soil",
    "first_host_strike_round": "round of the first strike on a host state",
    "host_damage": "value-weighted damage to host-state sites",
    "economic_loss_usd": "host economic loss (damage and force majeure)",
    "casualties": "deaths",
    "force_majeure_days": "days of force majeure at energy sites",
    "leakers": "threats that got through the defences",
    "interceptor_spend_usd": "interceptors fired, USD",
    "attacker_spend_usd": "weapons fired into defended sites, USD",
    "cost_exchange": "interceptor spend per attacker dollar",
    "us_strike_spend_usd": "US strike weapons, USD",
    "vessels_struck": "ships hit by missiles or mines",
    "transits": "ships that passed through the Strait",
    "shipping_loss_usd": "value lost on ships hit",
    # For the calibration's patterns (experiments/patterns.py, experiments/calibration.py).
    "launched_ballistic": "ballistic missiles fired at defended sites",
    "intercepted_ballistic": "ballistic missiles intercepted",
    "launched_drone": "drones fired at defended sites",
    "intercepted_drone": "drones intercepted",
    "transits_calm_per_day": "mean Strait transits a day before the first attack on a ship",
    "transits_peak_per_day": "lowest 7-day mean of transits a day after the first attack on a ship",
    "transits_fall_under_reported_attacks": "mean transits over the last 7 days of attacks "
    "reported by injects, as a share of the calm before them",
    "first_host_strike_casualties": "deaths in the round of the first host-state strike",
    "bahrain_intercepted_ballistic": "ballistic missiles intercepted over Bahrain",
    "bahrain_intercepted_drone": "drones intercepted over Bahrain",
    # The cost-exchange per threat kind (issue 9, pattern 6): spends split by the kind fired at.
    "interceptor_spend_ballistic_usd": "interceptors fired at ballistic missiles, USD",
    "attacker_spend_ballistic_usd": "ballistic missiles fired into defended sites, USD",
    "cost_exchange_ballistic": "interceptor USD fired at ballistic missiles per their USD",
    "engaged_ballistic": "ballistic missiles engaged, summed over defence layers",
    "interceptor_usd_per_ballistic_engaged": "interceptor USD per ballistic missile engaged",
    "interceptor_spend_drone_usd": "interceptors fired at drones, USD",
    "attacker_spend_drone_usd": "drones fired into defended sites, USD",
    "cost_exchange_drone": "interceptor USD fired at drones per drone USD",
    "engaged_drone": "drones engaged, summed over defence layers",
    "interceptor_usd_per_drone_engaged": "interceptor USD per drone engaged",
}


# The type of each outcome's value, for the sweep's results schema (any may be missing: a
# failed run has none, and some are missing by meaning, e.g. mou_collapsed_round when it held).
OUTCOME_TYPES: dict[str, type] = {
    "mou_collapsed_round": int,
    "truce_held": bool,
    "mou_final": str,
    "highest_rung": int,
    "loop_in_order": bool,
    "first_interdiction_round": int,
    "first_centcom_strike_round": int,
    "first_host_strike_round": int,
    "host_damage": float,
    "economic_loss_usd": float,
    "casualties": int,
    "force_majeure_days": float,
    "leakers": int,
    "interceptor_spend_usd": float,
    "attacker_spend_usd": float,
    "cost_exchange": float,
    "us_strike_spend_usd": float,
    "vessels_struck": int,
    "transits": int,
    "shipping_loss_usd": float,
    "launched_ballistic": int,
    "intercepted_ballistic": int,
    "launched_drone": int,
    "intercepted_drone": int,
    "transits_calm_per_day": float,
    "transits_peak_per_day": float,
    "transits_fall_under_reported_attacks": float,
    "first_host_strike_casualties": int,
    "bahrain_intercepted_ballistic": int,
    "bahrain_intercepted_drone": int,
    "interceptor_spend_ballistic_usd": float,
    "attacker_spend_ballistic_usd": float,
    "cost_exchange_ballistic": float,
    "engaged_ballistic": int,
    "interceptor_usd_per_ballistic_engaged": float,
    "interceptor_spend_drone_usd": float,
    "attacker_spend_drone_usd": float,
    "cost_exchange_drone": float,
    "engaged_drone": int,
    "interceptor_usd_per_drone_engaged": float,
}
