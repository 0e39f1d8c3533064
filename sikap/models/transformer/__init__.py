"""Fine-tuned transformer (IndoBERT by default): one encoder pass gives sentiment and every target's stance.

Needs ``torch`` and ``transformers``; the top-level package does not import this one.
"""
