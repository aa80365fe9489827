"""Lambda entry point of the crisis help function (`POST /help`): wiring only."""

from functions.crisis.help_app import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
