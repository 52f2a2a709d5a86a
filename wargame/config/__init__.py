"""Configuration layer: the scenario schema and the YAML loader; nothing here runs a model."""
