"""Lambda entry point of the accounts function: wiring only."""

from functions.accounts.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
