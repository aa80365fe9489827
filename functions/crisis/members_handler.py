"""Lambda entry point of the crisis member-records function: wiring only."""

from functions.crisis.members_app import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
