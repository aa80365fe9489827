"""Lambda entry point of the journal function: wiring only."""

from functions.journal.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
