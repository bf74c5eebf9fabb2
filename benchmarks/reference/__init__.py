"""The benchmark's two references, each a tiny Django project of its own (issue 19).

- `hello`: Django's default settings and middleware-free answer "hello": the ceiling;
- `lookup`: the smallest honest Django page doing the public lookup's job: default middleware,
  one indexed get by code in the benchmark's dossier table, its first ten public events, a small
  Django template: the floor no portal page may fall below.

Both are served by the same gunicorn command and settings file as the portal
(`benchmarks/harness.py`), only with their own `wsgi` module.
"""
