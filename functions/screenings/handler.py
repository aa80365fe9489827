"""Lambda entry point of the screenings function: wiring only."""

from functions.screenings.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
