"""The OpenAPI document of GET /ping, written out: the function has no framework to make it."""

from __future__ import annotations

from typing import Any


class _Document:
    """Stands where local/openapi.py expects an app: it only calls `openapi()`."""

    def openapi(self) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "ping", "version": "1.0.0"},
            "paths": {
                "/ping": {
                    "get": {
                        "summary": "Signed-in reachability; the load benchmark's floor",
                        "description": (
                            'Answers 200 `{"pong": true}` to any signed-in caller and '
                            "touches nothing: API Gateway, the authorizer and one bare "
                            "Lambda invocation. Without a valid ID token: 401."
                        ),
                        "operationId": "ping",
                        "responses": {
                            "200": {
                                "description": "Reachable",
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "properties": {"pong": {"type": "boolean"}},
                                            "required": ["pong"],
                                        }
                                    }
                                },
                            }
                        },
                    }
                }
            },
        }


app = _Document()
