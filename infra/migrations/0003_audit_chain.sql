-- Tamper evidence for the audit trail: every row carries the hash of the previous row and its
-- own hash over a canonical encoding (computed by the application, see core/audit_chain.py).
-- Contents (question, answer, details) enter the chain through their sha256, so a retention
-- purge can erase them and the chain still verifies.
ALTER TABLE audit_events
    ADD COLUMN question_sha256 text,
    ADD COLUMN reply_sha256    text,
    ADD COLUMN details_sha256  text,
    ADD COLUMN prev_hash       text,
    ADD COLUMN row_hash        text UNIQUE,
    ADD COLUMN purged_at       timestamptz;

-- UPDATE is refused, except a purge (session setting medgpt.audit_purge = on) that only erases
-- contents; DELETE and TRUNCATE stay refused.
DROP TRIGGER audit_events_no_change ON audit_events;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE FUNCTION audit_events_purge_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('medgpt.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit_events is append-only (UPDATE refused)';
    END IF;
    IF to_jsonb(NEW) - 'question' - 'reply_text' - 'details' - 'purged_at'
           IS DISTINCT FROM to_jsonb(OLD) - 'question' - 'reply_text' - 'details' - 'purged_at'
       OR NEW.question <> '' OR NEW.reply_text <> '' OR NEW.details <> '{}'::jsonb
       OR NEW.purged_at IS NULL THEN
        RAISE EXCEPTION 'audit_events: a purge may only erase question, answer and details';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_purge BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_purge_only();
