"""Deployment assets; the SQL migrations under infra/migrations ship with the package."""
