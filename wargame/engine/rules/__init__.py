"""Pure adjudication rules: functions of (inputs, rng) -> outcome, testable without a Model."""
