"""Load benchmark of the portal (issue 8 §3): data generator, runner, benchmark-only settings."""
