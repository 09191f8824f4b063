"""The map's cluster bubbles: what the search's grid counts beyond the hits the list shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Placed(Protocol):
    lat: float
    lng: float


@dataclass
class ClusterCell:
    """A grid cell of the search's clusters: its corners, its hits (listed ones too), their mean."""

    sw_lat: float = 0.0
    sw_lng: float = 0.0
    ne_lat: float = 0.0
    ne_lng: float = 0.0
    count: int = 0
    count_exact: bool = True
    lat: float = 0.0
    lng: float = 0.0

    def holds(self, lat: float, lng: float) -> bool:
        return self.sw_lat <= lat <= self.ne_lat and self.sw_lng <= lng <= self.ne_lng


def cluster_markers(cells: list[ClusterCell], hits: Sequence[Placed]) -> list[dict[str, Any]]:
    """The map's cluster bubbles: each cell's hits that the list does not show (those have their
    own price marker), so markers + bubbles add up to the whole result."""
    bubbles = []
    for index, cell in enumerate(cells):
        hidden = cell.count - sum(1 for hit in hits if cell.holds(hit.lat, hit.lng))
        if hidden <= 0:
            continue
        label = f"{hidden:,}" + ("" if cell.count_exact else "+")
        bubbles.append(
            {
                "id": index + 1,
                "lat": cell.lat,
                "lng": cell.lng,
                "count": hidden,
                "label": label,
                "title": f"{label} more {'hotel' if label == '1' else 'hotels'} here: zoom in",
                "bounds": [[cell.sw_lat, cell.sw_lng], [cell.ne_lat, cell.ne_lng]],
            }
        )
    return bubbles
