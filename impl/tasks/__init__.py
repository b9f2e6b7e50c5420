"""The tasks resource: cursor, mapping to the contract, repository and handler."""
