"""Adversarial validation: the drift check and (later) its remedies."""

from ._validator import AdversarialValidator

__all__ = ["AdversarialValidator"]
