"""Flow 3: the payment saga, a choreography of three services wired only by events.

checkout (backend/services/checkout.py) writes an order `pending` + OrderCreated to the outbox ->
the relay publishes outbox rows to the broker -> Payments charges (OrderCreated) and refunds
(RefundRequested) -> Inventory confirms the booking (PaymentSucceeded) -> Orders moves the order
along its state machine and asks for refunds. `topology.py` is the wiring; workers/ binds it to
dramatiq actors.
"""
