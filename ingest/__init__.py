"""Catalogue ingest: anime-offline-database files and MAL popularity into raw.* tables."""
