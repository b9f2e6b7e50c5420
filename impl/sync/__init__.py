"""Keeping clients in sync (contract tag `sync`): the change sequence every write advances, the change
feed with tombstones, sync tokens, and the server-sent events that announce changes."""
