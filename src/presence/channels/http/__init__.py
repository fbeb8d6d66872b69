"""What the HTTP channels share: the request log and ids, capped bodies, rate limits, the uvicorn server."""
