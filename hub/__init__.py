"""hub: ingest, complaints, criminal records, watchlists, identification, fleet, console."""
