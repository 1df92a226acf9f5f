"""sftlab: reasoning SFT experiments, from data to a report on when they generalize."""

__version__ = "0.1.0"
