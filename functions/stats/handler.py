"""Lambda entry point of the statistics function: wiring only."""

from functions.stats.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
