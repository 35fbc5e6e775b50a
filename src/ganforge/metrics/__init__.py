"""Measures of a trained generator."""
