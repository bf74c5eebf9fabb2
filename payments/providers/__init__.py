"""Payment gateway providers: one module per gateway behind the interface in `base.py`."""
