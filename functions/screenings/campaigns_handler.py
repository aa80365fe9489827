"""Lambda entry point of the campaigns function (CampaignsFunction): wiring only."""

from functions.screenings.campaign_routes import app
from shared.lambda_http import lambda_handler

handler = lambda_handler(app)
