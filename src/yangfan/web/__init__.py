"""The web face: server-rendered pages and the REST API, thin layers over the core."""
