"""Lambda entry point of the appointments function: wiring only."""

from functions.appointments.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
