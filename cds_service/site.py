"""Loading the site configuration file named by PANNET_CDS_CONFIG (clinical.md §6)."""

from __future__ import annotations

from pathlib import Path

from scoring.site_config import DEFAULT_SITE_CONFIG, SiteConfig, SiteConfigError, parse_site_config


def load_site_config(path: Path | None) -> SiteConfig:
    """The validated site configuration; raises SiteConfigError naming the file and the entry."""
    if path is None:
        return DEFAULT_SITE_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    return parse_site_config(text, source=str(path))
