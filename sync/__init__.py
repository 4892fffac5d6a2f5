"""Device sync protocol (SPEC §6): pull assigned work, push responses, hours, materials,
signatures; the device registry. WatermelonDB-compatible. Not built yet."""
