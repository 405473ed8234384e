"""Django database backend: PostgreSQL, with the embedded server started on demand."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from cairn.core import embedded_pg


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        handle = embedded_pg.server()
        info = handle.get_postmaster_info()
        self.settings_dict["HOST"] = str(info.socket_dir)
        self.settings_dict["PORT"] = str(info.port or "")
        return super().get_connection_params()
