"""Experiments layer: runs of the engine and what is made of them.

One run and its files (`single_run`, `outputs`); sweeps, from design to results folder
(`design`, `preflight`, `sweep`, `worker`, `cluster`, `store`); their analysis (`results`,
`analysis`, `report`); and a browser game as data, replayed, branched and continued
(`game`, `continuation`).
"""
