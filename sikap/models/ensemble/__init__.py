"""The ensemble model kind: a fine-tuned transformer and the embedded default, calibrated and mixed per head on dev."""

from sikap.models.ensemble.fitting import HeadFit, fit_head
from sikap.models.ensemble.predictor import EnsemblePredictor

__all__ = ["EnsemblePredictor", "HeadFit", "fit_head"]
