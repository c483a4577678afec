"""Errors of the assist context."""

from __future__ import annotations


class AssistError(Exception):
    """Base class: a clear message, safe to show to an administrator."""


class ModelUnavailable(AssistError):
    """A model (a package, its bundled weights or a trained file) cannot be loaded. Callers fall
    back to rules (the keyword classifier, lexical search) and alert administrators."""


class NotTrained(AssistError):
    """A trained model was asked to predict before `fit`."""
