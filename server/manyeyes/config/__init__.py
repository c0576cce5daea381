"""Settings (schema.py) and where they come from (loading.py): the user's files and environment, the project's files
(never trusted with where code goes), the editor or the command line."""

from manyeyes.config.loading import LoadedSettings, load_settings, user_config_path
from manyeyes.config.schema import CustomConcern, ModelPrice, Settings

__all__ = ["CustomConcern", "LoadedSettings", "ModelPrice", "Settings", "load_settings", "user_config_path"]
