-- Chat platforms deliver events at least once (Slack retries, two replicas, a restart): the first
-- process to insert an event id answers it, every other delivery is dropped.
CREATE TABLE platform_events (
    platform    text NOT NULL,
    event_id    text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, event_id)
);

-- Follow-ups in a thread read the thread's earlier turns from the audit trail.
CREATE INDEX audit_events_thread_turns ON audit_events (platform, conversation_id, id)
    WHERE event IN ('answer_sent', 'abstained');
