"""Signed delivery notes (SPEC §7): deterministic PDF, content hash, public verification."""
