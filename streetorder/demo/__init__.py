"""The end-to-end demo: generated footage → edge → broker → platform → review → closure."""
