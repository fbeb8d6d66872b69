"""The gateway: a kiosk on the workplace (`presence gateway`), with the eID card reader."""
