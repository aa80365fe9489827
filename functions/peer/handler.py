"""Lambda entry point of the peer function: wiring only."""

from functions.peer.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
