"""The command-line face: `run.py simulate` and `run.py validate`."""
