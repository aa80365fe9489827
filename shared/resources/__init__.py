"""The resource directory: verified, localised hotlines and services.

Pure code, no AWS and no network: the models (`model`), opening hours (`hours`),
region fallback, language choice, search and ranking (`directory`), the safe-messaging
crisis block (`safety`) and the bundled data in `data/resources/` (`loader`).
Shared by the resources and resource-admin functions: who sees and changes which
entries (`access`) and the resources table (`repository`, the only DynamoDB code).
"""
