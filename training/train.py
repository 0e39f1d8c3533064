"""Fine-tune a transformer on labels/ and save it in the model store.

Thin entry point over ``sikap train``; every flag is the same:

    python training/train.py --base-model indobenchmark/indobert-base-p1 --config training/config.yaml
"""

import sys

from sikap.cli import app

if __name__ == "__main__":
    sys.exit(app(["train", *sys.argv[1:]]))
