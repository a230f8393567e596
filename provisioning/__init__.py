"""provisioning: the technician's tool: keys, broker files, unit bundles, self-test, revocation."""
