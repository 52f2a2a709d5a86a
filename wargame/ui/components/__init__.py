"""Reusable parts of the pages: each takes JSON-able data and renders it in the browser."""
