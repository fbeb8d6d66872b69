"""Who may use the machine channels: web-service accounts, their certificates, OAuth grants, SOAP senders, replays."""
