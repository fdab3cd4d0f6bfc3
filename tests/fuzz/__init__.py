"""Hostile-input suite (issue #13): a seeded corpus through every CLI command and the Python API.

``corpus`` lays the cases out under a temporary folder, ``harness`` runs them in worker
processes (``_worker``) with a per-case time limit, and the ``test_*`` modules check each
case's invariants: the documented exit code, no traceback, no signal, no hang, inputs left
unchanged, outputs complete or absent, and no code run from a crafted file.
"""
