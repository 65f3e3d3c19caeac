"""hourbook: plain-text support hours in, priced client statements and an owner dashboard out."""

__version__ = "0.1.0"
