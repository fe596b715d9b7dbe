"""The configuration: config/default.toml ← chapter file ← environment, as typed Settings.

    settings = config.load("config/my-chapter.toml")   # ConfigError (one line) on any mistake

`schema` holds the frozen dataclasses (each validates itself), `schedule` a chapter's meeting
rhythm and its occurrences, `loading` merges and converts the layers, `paths` says where the
defaults and the data folder are.
"""

from meetbot.config.loading import check_discord_secrets, load
from meetbot.config.paths import DEFAULT_FILE, data_dir, default_config_text
from meetbot.config.schema import Settings

__all__ = [
    "DEFAULT_FILE",
    "Settings",
    "check_discord_secrets",
    "data_dir",
    "default_config_text",
    "load",
]
