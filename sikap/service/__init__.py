"""The HTTP service's library side: request and response models, input guards, and the serve process."""
