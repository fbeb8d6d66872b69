"""The SOAP web service PresenceRegistration v1 (construction and meat), as integrators' clients expect it."""
