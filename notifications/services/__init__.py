"""Writes of the notifications app, one module per concern, imported by their full path (the
producers in other apps import only the small module they call, so no import cycle forms):

- `thresholds`: `cost.threshold_crossed`, judged on every cost snapshot;
- `gates`: `cohort.gates_passed`, judged before and after every change that moves gates;
- `leases`: the claim-with-a-lease every delivery goes through;
- `webhooks`: endpoints, the outbox consumer that records webhook deliveries, delivery;
- `email`: subscriptions, the outbox consumer that records email deliveries, sending.
"""
