"""edge_agent: everything on a unit except the screen: hardware ports, local store, daemon."""
