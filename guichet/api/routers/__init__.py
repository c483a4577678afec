"""One router per context: messages (intake), cases, citizens, outbox (conversations delivery)."""
