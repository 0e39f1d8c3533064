"""The model kinds and the store. The kinds (``baseline``, ``transformer``, ``onnx``, ``ensemble``, the offline
``basemodel``) implement :class:`~sikap.models.predictor.Predictor`; ``loading``, ``ensemble_builder`` and
``evaluate`` stand above them and pick, build or score a stored model of any kind."""
