"""Lambda entry point of the crisis HTTP function (the counsellors' cases and watch list)."""

from functions.crisis.routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
