"""Versioned prompt templates (installed as ``extractor.prompts``); see extractor/prompting.py."""
