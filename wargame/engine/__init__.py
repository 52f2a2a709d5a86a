"""Engine layer: theatre graph, agents, pure rules, the Mesa model, metrics and observations.

Headless: no UI, no YAML, no file I/O, no print.
"""
