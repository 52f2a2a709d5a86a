"""The command-line face: `run.py` and its commands (`main`), the browser game's launcher
(`play`) and the tables `simulate` prints (`report`)."""
