"""Django-free text processing for Yishi (plan parsing, obligation extraction, proofreading,
sentiment, de-duplication). Plain inputs and outputs; no Django imports anywhere in this package."""
