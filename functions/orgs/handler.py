"""Lambda entry point of the organisations function: wiring only."""

from functions.orgs.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
