"""HTTP channels: thin layers over the services."""
