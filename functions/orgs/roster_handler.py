"""Lambda entry point of the organisation roster function: wiring only."""

from functions.orgs.roster_app import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
