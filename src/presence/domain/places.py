"""Where a declared workplace is (the work declaration's address and position), as the services and the
simulation dataset pass it around."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A workplace's address and its position (WGS84)."""

    street: str
    house_number: str
    post_code: str
    municipality: str
    latitude: float
    longitude: float

    @property
    def address(self) -> str:
        return f"{self.street} {self.house_number}, {self.post_code} {self.municipality}"
