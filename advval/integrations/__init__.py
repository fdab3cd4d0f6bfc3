"""Hooks into the tools around a model: experiment trackers.

Each integration is a module of its own that imports its tool only when called, so
``import advval`` never imports it: :mod:`advval.integrations.mlflow` logs a report to
MLflow (``pip install "advval[mlflow]"``).
"""
