-- Encrypted events a Matrix bot could not read yet (their room key had not reached its device):
-- kept, still encrypted, so that a restart still answers them once the key comes; the bot drops
-- them after a bounded age.
CREATE TABLE chat_held_events (
    platform   text NOT NULL,
    account    text NOT NULL,
    event_id   text NOT NULL,
    room_id    text NOT NULL,
    payload    text NOT NULL,
    held_since timestamptz NOT NULL,
    PRIMARY KEY (platform, account, event_id)
);
