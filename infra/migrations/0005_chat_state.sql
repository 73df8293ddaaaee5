-- Matrix clients resume their sync where they stopped: a restart answers what arrived while the
-- bot was down, once, and never replays history.
CREATE TABLE chat_sync_positions (
    platform   text NOT NULL,
    account    text NOT NULL,
    position   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, account)
);

-- Which audit entry a posted reply carries: a reaction on the reply becomes feedback on it.
CREATE TABLE chat_replies (
    platform   text NOT NULL,
    message_id text NOT NULL,
    audit_id   bigint NOT NULL,
    language   text NOT NULL,
    posted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, message_id)
);
