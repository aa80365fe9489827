"""Lambda entry point of the checkins function: wiring only."""

from functions.checkins.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
