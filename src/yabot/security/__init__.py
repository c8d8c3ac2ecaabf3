"""Security helpers shared by the HTTP faces (API and admin panel): failure rate limiting."""
