"""Experiments layer: one run, its outputs on disk, and (later) sweeps and analysis."""
