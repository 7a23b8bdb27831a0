"""The signature panel, as desktop PDF readers show it (Archive and Prepare)."""
