"""Lambda entry point of the resource-admin function: wiring only."""

from functions.resource_admin.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
