"""The channels a registration arrives by, with the code shown in SOAP `Channel` and REST `channel`."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    WEB_SERVICE = "WS"  # SOAP web service (contract value)
    REST = "REST"  # REST web service, cleaning (*ours*)
    ONLINE = "ONLINE"  # online service, desktop (*ours*)
    MOBILE = "MOBILE"  # online service, mobile (*ours*)
    GATEWAY = "GATEWAY"  # on-site gateway kiosk (*ours*)
    BACK_OFFICE = "BACKOFFICE"  # corrections by the service's own staff (*ours*)
    OPERATOR = "OPERATOR"  # command line of the registry's operator (*ours*)
