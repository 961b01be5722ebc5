"""Built-in conformance profiles: one folder per profile (``profile.yaml``, artefacts, ``checks.py``)."""
