"""Lambda entry point of the notifications function: wiring only."""

from functions.notifications.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
