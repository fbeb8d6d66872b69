"""Presence registrations: registering, checking, consulting, cancelling and correcting them."""
