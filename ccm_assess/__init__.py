"""ccm-assess: Medicare Chronic Care Management readiness assessment for independent practices."""

__version__ = "0.1.0"
