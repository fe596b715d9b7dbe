"""Jinja2 templates of the reports. A package (not a plain folder) so that pyproject's
package-data rule `"*" = ["*.j2", ...]` ships them with the wheel."""
