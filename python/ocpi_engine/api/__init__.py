"""The Litestar app: OCPI routers per version, the admin API, health and OpenAPI documents."""
