"""ONNX Runtime inference for fine-tuned transformers: export, int8 quantization, validation, predictor.

Inference needs only ``onnxruntime``, ``tokenizers`` and ``numpy``; exporting also needs
``torch``. The top-level package does not import this one.
"""
