"""Where the agency's key lives: one provider per kind of key store behind `base.py`."""
