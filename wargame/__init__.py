"""Gulf Escalation Wargame: an agent-based model of a US-Iran escalation cycle in the Persian Gulf.

Layers, bottom up: `config` (scenario schema and loader) -> `engine` (theatre, agents, rules, model)
-> `experiments` (runs, sweeps, analysis) -> faces (`cli`, UI). A module imports only from its own
layer or below.
"""

__version__ = "0.1.0"
