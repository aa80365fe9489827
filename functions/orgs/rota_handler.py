"""Lambda entry point of the organisation rota function: wiring only."""

from functions.orgs.rota_app import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
