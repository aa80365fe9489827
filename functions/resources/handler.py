"""Lambda entry point of the resources function: wiring only."""

from functions.resources.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
