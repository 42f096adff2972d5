"""The reader's web pages: server-rendered HTML plus one small script that calls the /v1 API."""
