"""Who a caller is: the OAuth client assertions of the token endpoint, the WS-Security signatures of SOAP
requests (and, to come, people's sign-in, sessions and kiosk devices). Each answers with a `Caller`; what the
caller may do is decided in `domain/`."""
