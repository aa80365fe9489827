"""Resource directory responses: the HTTP contract of the resources function."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.resources.directory import ResourceView


class ResourceList(BaseModel):
    items: list[ResourceView]
    lang: str = Field(description="Language the names are in (zh-CN or en)")
    region: str = Field(description="Region the list was ranked for, most local first")


class StaleList(BaseModel):
    items: list[ResourceView]
    max_age_days: int
