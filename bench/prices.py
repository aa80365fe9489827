"""AWS list prices `make cost` uses: us-east-1, on demand, no free tier, with their date and source.

Free tiers are left out on purpose: they are per account, and an account that serves many
schools uses them up on the first. The one exception is the deployment-size table of
`make cost`, which counts Cognito's 10,000 free monthly active users because past them
Cognito decides the figure. The pages render their tables in the browser, so these were
recorded by hand on PRICES_AS_OF: check each against its source before quoting it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

PRICES_AS_OF = "2026-11-24"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float  # dollars for one `unit`
    unit: str
    source: str
    as_of: str = PRICES_AS_OF


API = "https://aws.amazon.com/api-gateway/pricing/"
LAMBDA = "https://aws.amazon.com/lambda/pricing/"
DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
STEP_FUNCTIONS = "https://aws.amazon.com/step-functions/pricing/"
SNS = "https://aws.amazon.com/sns/pricing/"
SQS = "https://aws.amazon.com/sqs/pricing/"
KMS = "https://aws.amazon.com/kms/pricing/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
XRAY = "https://aws.amazon.com/xray/pricing/"
SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
COGNITO = "https://aws.amazon.com/cognito/pricing/"


@dataclass(frozen=True)
class Prices:
    # API Gateway: first 333 M REST requests a month; HTTP API per 512 KB request, first 300 M.
    api_rest_request: Price = Price(3.50e-6, "REST API request", API)
    api_http_request: Price = Price(1.00e-6, "HTTP API request (<= 512 KB)", API)
    # Lambda: since 2025-08-01 the INIT phase of a cold start is billed as duration too.
    lambda_request: Price = Price(0.20e-6, "invocation", LAMBDA)
    lambda_gb_s_x86: Price = Price(0.0000166667, "GB-second, x86_64", LAMBDA)
    lambda_gb_s_arm: Price = Price(0.0000133334, "GB-second, arm64", LAMBDA)
    # DynamoDB on demand, after the November 2024 price cut. One read request unit reads
    # 4 KB strongly consistent (an eventually consistent read is half a unit); one write
    # request unit writes 1 KB; transactional reads and writes take twice the units.
    dynamodb_wru: Price = Price(0.625e-6, "write request unit", DYNAMODB)
    dynamodb_rru: Price = Price(0.125e-6, "read request unit", DYNAMODB)
    sfn_standard_transition: Price = Price(0.025e-3, "state transition (standard)", STEP_FUNCTIONS)
    sns_mobile_push: Price = Price(0.50e-6, "mobile push delivery", SNS)
    sns_request: Price = Price(0.50e-6, "API request (standard topic or endpoint)", SNS)
    # FIFO topics: publish requests plus payload, and a small charge per delivered message.
    sns_fifo_publish: Price = Price(0.30e-6, "FIFO topic publish request", SNS)
    sns_fifo_payload_gb: Price = Price(0.017, "GB published to a FIFO topic", SNS)
    sns_fifo_delivery: Price = Price(0.01e-6, "FIFO subscription message", SNS)
    sqs_standard_request: Price = Price(0.40e-6, "standard queue request (64 KB)", SQS)
    sqs_fifo_request: Price = Price(0.50e-6, "FIFO queue request (64 KB)", SQS)
    kms_request: Price = Price(0.03e-4, "symmetric key request", KMS)
    kms_key_month: Price = Price(1.00, "customer managed key-month", KMS)
    logs_ingest_gb: Price = Price(0.50, "GB of logs ingested (standard class)", CLOUDWATCH)
    logs_storage_gb_month: Price = Price(0.03, "GB-month of logs stored", CLOUDWATCH)
    alarm_month: Price = Price(0.10, "standard-resolution alarm-month", CLOUDWATCH)
    xray_trace: Price = Price(5.00e-6, "trace recorded", XRAY)
    secret_month: Price = Price(0.40, "secret-month", SECRETS)
    secret_request: Price = Price(0.05e-4, "Secrets Manager API request", SECRETS)
    # Not in the per-1,000 figure (see bench/cost.py): 10,000 MAU a month free per account.
    cognito_essentials_mau: Price = Price(
        0.015, "monthly active user above 10,000 (Essentials)", COGNITO
    )
    cognito_lite_mau: Price = Price(0.0055, "monthly active user above 10,000 (Lite)", COGNITO)
    cognito_plus_mau: Price = Price(0.02, "monthly active user above 10,000 (Plus)", COGNITO)

    def items(self) -> list[tuple[str, Price]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


PRICES = Prices()
