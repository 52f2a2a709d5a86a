"""Great-circle geometry: distances between places on the theatre map, vectorised with numpy."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius of the Earth
# Haversine: hav(d/R) = sin²(Δlat/2) + cos lat1 cos lat2 sin²(Δlon/2), d = 2R asin(√hav).
HALF_ANGLE_DIVISOR = 2.0
EARTH_DIAMETER_KM = 2.0 * EARTH_RADIUS_KM  # the 2R of the formula


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km; broadcasts over numpy arrays."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    half_dlat = (lat2 - lat1) / HALF_ANGLE_DIVISOR
    half_dlon = (lon2 - lon1) / HALF_ANGLE_DIVISOR
    a = np.sin(half_dlat) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(half_dlon) ** 2
    return EARTH_DIAMETER_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """All-pairs great-circle distances (n x n)."""
    return great_circle_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
