"""Push notifications to members' devices.

Sending sits behind one `Provider` interface (`providers`): `sns_push` reaches APNs and FCM
through Amazon SNS, `jpush` reaches Android phones in mainland China through JPush. Nothing
in this package imports FastAPI or pydantic: the sender is an SQS-driven Lambda, not an
HTTP function.
"""
